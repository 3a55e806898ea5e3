"""mkdocs hook: pages generated from the template's own sources at every build.

The questionnaire reference (copier.yml), the course defaults (course.yml) and the
role handbooks (roles/*.yml) are never written by hand or committed, so the site
cannot drift from what `copier copy` asks and generates. Named in mkdocs.yml.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import yaml
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent

sys.path.insert(0, str(ROOT / "template"))
questionnaire = importlib.import_module(
    "questionnaire"
)  # copier.yml as copier reads it
evaluate, questions = questionnaire.evaluate, questionnaire.questions
RULE = re.compile(r"check\.(\w+)\(")


def roles() -> list[dict]:
    loaded = [
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in (ROOT / "roles").glob("*.yml")
    ]
    return sorted(loaded, key=lambda role: role["order"])


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def shown(value: object) -> str:
    if isinstance(value, list):
        return "`[" + ", ".join(map(str, value)) + "]`"
    return f"`{value}`" if value != "" else "*(empty)*"


def questionnaire_page() -> str:
    defaults = evaluate({}, validate=False)[0]
    lines = [
        "# Questionnaire reference",
        "",
        "Generated from `copier.yml` at every docs build. cookiecutter asks the same",
        "questions (`template/cookiecutter.json`) and applies the same rules. *Default*",
        "is what `--defaults` gives with this repository's `course.yml`; *from* shows how",
        "it is computed. Rules are macros of `hooks/checks.jinja`.",
        "",
        "| Question | Type | Meaning | Default | From | Rules |",
        "|---|---|---|---|---|---|",
    ]
    for name, spec in questions().items():
        if spec.get("when", True) is False:
            continue
        raw = spec.get("default")
        source = f"`{cell(raw)}`" if isinstance(raw, str) and "{" in raw else ""
        rules = ", ".join(
            f"`{rule}`"
            for rule in dict.fromkeys(RULE.findall(str(spec.get("validator", ""))))
        )
        if "choices" in spec:
            rules = ", ".join(
                filter(
                    None,
                    [
                        rules,
                        "one of "
                        + ", ".join(f"`{choice}`" for choice in spec["choices"]),
                    ],
                )
            )
        lines.append(
            f"| `{name}` | {spec.get('type', 'str')} | {cell(spec.get('help', ''))} | {cell(shown(defaults[name]))} | {source} | {rules} |"
        )
    lines += [
        "",
        "Computed values (`when: false`, never asked, never stored in the answers file):",
        "",
    ]
    for name, spec in questions().items():
        if spec.get("when", True) is False:
            lines.append(f"- `{name}`")
    return "\n".join(lines) + "\n"


def course_page() -> str:
    return (
        "# Course defaults (`course.yml`)\n\n"
        "The file an instructor edits in a fork; see the [instructor guide](../instructor-guide.md).\n"
        "This is the file as it is in this repository:\n\n"
        "```yaml\n" + (ROOT / "course.yml").read_text(encoding="utf-8") + "```\n"
    )


# A relative link in a handbook points at another file of the generated project,
# which this site does not hold: the page keeps the path, as code, without the link.
PROJECT_LINK = re.compile(r"\[([^\]]+)\]\((?![a-z]+://)([^)]+)\)")


def role_page(role: dict) -> str:
    paths = ", ".join(f"`{path}`" for path in role["paths"])
    handbook = PROJECT_LINK.sub(
        lambda link: f"`{role['room']}/{link.group(2)}`", role["handbook"]
    )
    return (
        f"# {role['title']}\n\n"
        f"> Room: `{role['room']}/` · Owns: {paths} · Run: `nox -s {role['nox_session']}` · "
        f"Tests: `nox -s tests -- {role['room']}` · Owner question: `{role['owner_question']}`\n\n"
        f"{role['summary']}\n\n"
        "This is the handbook each team finds in its generated `"
        f"{role['room']}/README.md` (generated from `roles/{role['name']}.yml`).\n\n"
        + handbook.replace("\n## ", "\n### ").replace("\n# ", "\n## ")
    )


def roles_index() -> str:
    lines = ["# Role handbooks", "", "| Role | Room | Owns |", "|---|---|---|"]
    for role in roles():
        lines.append(
            f"| [{role['title']}]({role['name']}.md) | `{role['room']}/` | {cell(role['summary'])} |"
        )
    return "\n".join(lines) + "\n"


def generated_pages() -> dict[str, str]:
    pages = {
        "reference/questionnaire.md": questionnaire_page(),
        "reference/course-defaults.md": course_page(),
        "roles/index.md": roles_index(),
    }
    for role in roles():
        pages[f"roles/{role['name']}.md"] = role_page(role)
    return pages


def on_files(files: Files, config) -> Files:
    for src_uri, content in generated_pages().items():
        files.append(File.generated(config, src_uri, content=content))
    return files
