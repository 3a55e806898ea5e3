"""Is everything a workflow needs set? The first job of the workflows that need
settings runs `python3 -m cicd.settings_check WORKFLOW`.

A repository pushed before anyone configured it must get green or skipped runs,
never red ones. So this check reads the variables and secrets the workflow hands
it through the environment (only whether each is empty: no value is printed or
written anywhere), writes `ready=true` or `ready=false` to $GITHUB_OUTPUT, and
the jobs that would use them run only when ready. When something is missing, the
job summary names each setting, where to set it and what it is for.

Standard library only, and Python 3.10 compatible: it runs on any runner's
`python3`, before anything is installed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ACTIONS_SETTINGS = "Settings > Secrets and variables > Actions"


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # "variable" or "secret"
    purpose: str
    # Set in this GitHub environment (only its jobs read it), else the repository.
    environment: str = ""

    @property
    def where(self) -> str:
        if self.environment:
            place = f"Settings > Environments > {self.environment}"
            return f"{place} > Environment {self.kind}s"
        return f"{ACTIONS_SETTINGS} > {self.kind.capitalize()}s"

    def is_set(self, environ: Mapping[str, str]) -> bool:
        return bool(environ.get(self.name, "").strip())


def chameleon(name: str, kind: str, purpose: str) -> Setting:
    return Setting(name, kind, purpose, environment="chameleon")


SETTINGS: dict[str, tuple[Setting, ...]] = {
    "deploy": (
        Setting("DEPLOY_URL", "variable", "`http://<platform VM's floating ip>`"),
        Setting("KUBECONFIG_DATA", "secret", "k3s's kubeconfig for that address"),
    ),
    "gpu-training": (
        chameleon("OS_AUTH_URL", "variable", "from the openrc file"),
        chameleon("OS_APPLICATION_CREDENTIAL_ID", "secret", "the credential's id"),
        chameleon("OS_APPLICATION_CREDENTIAL_SECRET", "secret", "and its secret"),
        chameleon("RUNNER_ADMIN_TOKEN", "secret", "a token that may manage runners"),
    ),
    "template-update": (),
}
GUIDES = {
    "deploy": "cicd/docs/deploy.md",
    "gpu-training": "cicd/docs/runners.md",
    "template-update": "README.md, 'Taking template updates'",
}
# What `copier update` can fetch: a Git URL, not a folder on someone's laptop.
REMOTE_SOURCE = re.compile(r"^(gh:|gl:|https?://|git@|git\+|ssh://)")


def template_source_problem(answers: Path) -> str | None:
    """Why `copier update` cannot run here, or None when it can."""
    try:
        text = answers.read_text()
    except OSError:
        return f"`{answers.name}` is missing: copier writes it when it generates"
    found = re.search(r"^_src_path:\s*['\"]?([^'\"\n]+)", text, re.MULTILINE)
    if found is None:
        return f"`{answers.name}` names no template (`_src_path`)"
    if not REMOTE_SOURCE.match(found.group(1).strip()):
        return (
            f"`_src_path` in `{answers.name}` is a local folder; set it to the "
            "template's Git URL (the one your instructor published)"
        )
    return None


def missing(workflow: str, environ: Mapping[str, str]) -> list[Setting]:
    return [setting for setting in SETTINGS[workflow] if not setting.is_set(environ)]


def problems(workflow: str, environ: Mapping[str, str], root: Path) -> list[str]:
    """One line per thing to fix; none when the workflow can do its work."""
    lines = [
        f"{setting.kind} `{setting.name}` ({setting.purpose}): {setting.where}"
        for setting in missing(workflow, environ)
    ]
    if workflow == "template-update":
        source = template_source_problem(root / ".copier-answers.yml")
        lines += [source] if source else []
    return lines


def summary(workflow: str, lines: list[str]) -> str:
    if not lines:
        return f"### {workflow}: every setting it needs is set\n"
    items = "\n".join(f"- {line}" for line in lines)
    return (
        f"### {workflow} is waiting to be configured\n\n"
        "Nothing failed: the jobs that need these were skipped, and run on the "
        f"next trigger once they are set.\n\n{items}\n\nSee {GUIDES[workflow]}.\n"
    )


def append(path: str | None, text: str) -> None:
    if path:  # unset outside GitHub Actions: the terminal gets it instead
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workflow", choices=sorted(SETTINGS))
    args = parser.parse_args(argv)
    lines = problems(args.workflow, os.environ, REPO_ROOT)
    ready = "false" if lines else "true"
    append(os.environ.get("GITHUB_OUTPUT"), f"ready={ready}\n")
    append(os.environ.get("GITHUB_STEP_SUMMARY"), summary(args.workflow, lines))
    for line in lines:
        # Annotations on the run page; backticks read better without markup.
        print(f"::notice title={args.workflow} is waiting::{line.replace('`', '')}")
    print(f"ready={ready}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
