"""Each rendering of the matrix: the right files, fully rendered, lint-clean, owned."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import SCENARIOS, answers_of
from expected_files import expected_files
from tools import check_workflows, tool

ROLES = ("data", "training", "serving", "monitoring", "cicd")
ROLE_PATHS = {
    "data": ["/data/"],
    "training": ["/training/"],
    "serving": ["/serving/"],
    "monitoring": ["/monitoring/"],
    "cicd": ["/cicd/", "/.github/", "/noxfile.py", "/.pre-commit-config.yaml"],
}
# Literal double braces that belong in generated files: GitHub expressions,
# Prometheus / Grafana templates in the monitoring room, the Ansible
# playbook's variables and lookups, and Argo Workflows' parameters.
ALLOWED_BRACES = re.compile(
    r"\{\{ ?ansible_user ?\}\}|\{\{ ?ansible_host ?\}\}|\{\{ ?playbook_dir ?\}\}|"
    r"\{\{ ?item ?\}\}|\{\{ lookup\('ansible\.builtin\.env', '[A-Z_]+'\) \}\}|"
    r"\{\{workflow\.parameters\.[a-z]+\}\}|"
    r"\$\{\{|\{\{ ?\$labels|\{\{ ?\$value|\{\{ ?predicted_class|\{\{ ?endpoint|\{\{ ?instance|\{\{ ?http_response_code|\{\{ ?le ?\}\}"
)

scenarios = pytest.mark.parametrize("scenario", SCENARIOS)


def files_of(project: Path) -> set[str]:
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts
    }


@scenarios
def test_exact_file_set(rendered, scenario):
    project = rendered[scenario]
    answers = answers_of(project)
    expected = expected_files(
        answers["package_name"],
        answers["task"],
        answers["tracker"],
        host_app=bool(answers.get("host_app_image")),
    )
    assert sorted(files_of(project) - expected) == []
    assert sorted(expected - files_of(project)) == []


@scenarios
def test_no_unrendered_jinja(rendered, scenario):
    leftovers = []
    for relative in sorted(files_of(rendered[scenario])):
        text = (rendered[scenario] / relative).read_text(errors="replace")
        for marker in ("{%", "%}", "{#", "cookiecutter.", "_copier_conf"):
            if marker in text:
                leftovers.append(f"{relative}: {marker}")
        if "{{" in ALLOWED_BRACES.sub("", text):
            leftovers.append(f"{relative}: {{{{")
    assert not leftovers


@scenarios
def test_ruff_clean_as_generated(rendered, scenario):
    project = rendered[scenario]
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [tool("ruff"), *command], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def codeowners(project: Path) -> dict[str, list[str]]:
    owners = {}
    for line in (project / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *handles = line.split()
            assert pattern not in owners, f"{pattern} is listed twice"
            owners[pattern] = handles
    return owners


@scenarios
def test_codeowners_maps_each_owner_to_exactly_their_rooms(rendered, scenario):
    answers = answers_of(rendered[scenario])
    members = answers["members"]
    owners = codeowners(rendered[scenario])
    assert owners.pop("*") == [f"@{member}" for member in members]
    expected = {}
    for role in ROLES:
        owner = answers[f"{role}_owner"]
        if owner == "shared":
            handles = [f"@{member}" for member in members]
        else:
            # And a second reviewer, so that the owner's own pull requests can be
            # approved: the next member, wrapping around.
            second = members[(members.index(owner) + 1) % len(members)]
            handles = [f"@{owner}", f"@{second}"]
        for path in ROLE_PATHS[role]:
            expected[path] = handles
    assert owners == expected


@scenarios
def test_readme_team_table_lists_every_member_with_their_rooms(rendered, scenario):
    answers = answers_of(rendered[scenario])
    readme = (rendered[scenario] / "README.md").read_text()
    for member in answers["members"]:
        row = next(
            line for line in readme.splitlines() if line.startswith(f"| [@{member}]")
        )
        for role in ROLES:
            owner = answers[f"{role}_owner"]
            owns = owner == "shared" or owner.lower() == member.lower()
            assert (f"[{role}/]({role}/README.md)" in row) == owns, (member, role, row)
    for date in ("milestone_initial", "milestone_system", "milestone_operation"):
        assert answers[date] in readme
    assert f"end of its day in {answers['course_timezone']}" in readme


@scenarios
def test_each_room_handbook_names_its_owner(rendered, scenario):
    answers = answers_of(rendered[scenario])
    for role in ROLES:
        handbook = (rendered[scenario] / role / "README.md").read_text()
        owner = answers[f"{role}_owner"]
        expected = (
            "the whole team (shared role)" if owner == "shared" else f"[@{owner}]"
        )
        assert expected in handbook


@scenarios
def test_workflows_pass_schema_and_zizmor(rendered, scenario):
    check_workflows(rendered[scenario])


@scenarios
def test_pre_commit_config_is_valid(rendered, scenario):
    result = subprocess.run(
        [tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        cwd=rendered[scenario],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {
        hook["id"]
        for repo in yaml.safe_load(
            (rendered[scenario] / ".pre-commit-config.yaml").read_text()
        )["repos"]
        for hook in repo["hooks"]
    }
    assert {
        "ruff-check",
        "ruff-format",
        "check-github-workflows",
        "check-merge-conflict",
        "nbstripout",
    } <= hooks


@scenarios
def test_project_names_reach_the_files(rendered, scenario):
    answers = answers_of(rendered[scenario])
    project = rendered[scenario]
    assert (project / answers["package_name"] / "model.py").is_file()
    assert answers["project_name"] in (project / "README.md").read_text()
    assert (
        f'name = "{answers["project_slug"]}"'
        in (project / "pyproject.toml").read_text()
    )
