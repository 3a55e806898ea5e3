"""roster.py: one committed team repository per CSV row, offline, and clear row errors."""

import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml
from conftest import ROOT
from template_releases import new_template_repo, project_file, release

HEADER = "team,members,roles,project_id\n"


def roster(csv_text: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    csv_path, out = tmp_path / "teams.csv", tmp_path / "out"
    csv_path.write_text(csv_text)
    result = subprocess.run(
        [sys.executable, str(ROOT / "roster.py"), str(csv_path), str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result, out


def test_example_roster_renders_one_committed_repository_per_team(tmp_path):
    result, out = roster((ROOT / "examples" / "teams.csv").read_text(), tmp_path)
    assert result.returncode == 0, result.stderr
    course = yaml.safe_load((ROOT / "course.yml").read_text())
    expected = {
        "proj01-food-vision": {
            "members": ["amy", "bob", "cat"],
            "training_owner": "amy",
            "cicd_owner": "shared",
            "monitoring_owner": "bob",
            "task": "image-classification",
        },
        "proj02-plate-check": {
            "members": ["dana", "eli", "fay", "gus"],
            "cicd_owner": "gus",
            "monitoring_owner": "eli",
            "task": "text-classification",
        },
        "proj21-menu-lens": {
            "members": ["hal", "ivy", "joe"],
            "monitoring_owner": "joe",
            "data_owner": "joe",
            "task": "tabular-regression",
        },
    }
    assert sorted(path.name for path in out.iterdir()) == sorted(expected)
    commands = result.stdout.splitlines()
    for name, answers in expected.items():
        repository = out / name
        recorded = yaml.safe_load((repository / ".copier-answers.yml").read_text())
        assert {key: recorded[key] for key in answers} == answers
        assert recorded["_src_path"] == course["template_url"], (
            "teams update from the course's repository"
        )
        log = subprocess.run(
            ["git", "log", "--format=%s", "main"],
            cwd=repository,
            capture_output=True,
            text=True,
            check=True,
        )
        assert log.stdout == "Start from mlsys-team-template\n"
        status = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=repository,
            capture_output=True,
            text=True,
            check=True,
        )
        assert status.stdout == ""
        assert (
            f"gh repo create {course['github_owner']}/{name} --private --source {repository} --remote origin"
            f" && git -C {repository} push -u origin main"
            f" && GITHUB_REPOSITORY={course['github_owner']}/{name}"
            f" nox -f {repository}/noxfile.py -s github-setup"
        ) in commands
    assert len(commands) == 3


BAD_ROSTERS = {
    "missing column": (
        "team,members\nA,amy bob cat\n",
        "the header lacks the column(s) roles",
    ),
    "unknown column": (
        "team,members,roles,mentor\nA,amy bob cat,,x\n",
        "unknown column(s) mentor",
    ),
    "empty team": (HEADER + ",amy bob cat,,\n", "line 2: the team column is empty"),
    "no members": (
        HEADER + "Food Vision,,,\n",
        "line 2 (team 'Food Vision'): the members column is empty",
    ),
    "roles entry": (
        HEADER + "A,amy bob cat,training:amy,\n",
        "line 2 (team 'A'): roles entry 'training:amy' is not role=handle",
    ),
    "unknown role": (
        HEADER + "A,amy bob cat,ops=amy,\n",
        "line 2 (team 'A'): unknown role 'ops'; the course's roles are data, training",
    ),
    "role twice": (
        HEADER + "A,amy bob cat,data=amy data=bob,\n",
        "role 'data' is given twice",
    ),
    "two members": (
        HEADER + "A,amy bob cat,,\nB,dan eve,,\n",
        "line 3 (team 'B'): Validation error for question 'members': members must list 3 or 4 GitHub handles; got 2",
    ),
    "owner not a member": (
        HEADER + "A,amy bob cat,serving=zed,\n",
        "line 2 (team 'A'): Validation error for question 'serving_owner': serving_owner 'zed' is not one of the members",
    ),
    "unknown task": (
        "team,members,roles,task\nA,amy bob cat,,vision\n",
        "line 2 (team 'A'): Validation error for question 'task': Invalid choice for 'task': 'vision' is not in",
    ),
    "bad project id": (
        HEADER + "A,amy bob cat,,07\n",
        "project_id '07' must be 'proj' followed by digits",
    ),
    "same project id": (
        HEADER + "A,amy bob cat,,proj05\nB,dan eve fay,,proj05\n",
        "line 3 (team 'B') and line 2 (team 'A') share project_id proj05",
    ),
    "short row": (
        HEADER + "A,amy bob cat\n",
        "line 2 has a different number of fields than the header",
    ),
    "header only": (HEADER, "no teams (only a header?)"),
}


@pytest.mark.parametrize(
    "csv_text, message", BAD_ROSTERS.values(), ids=BAD_ROSTERS.keys()
)
def test_bad_roster_is_refused_naming_the_row_before_rendering(
    tmp_path, csv_text, message
):
    result, out = roster(csv_text, tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert not out.exists() or not any(out.iterdir()), (
        "nothing is rendered for a bad roster"
    )


def test_existing_team_folder_is_never_overwritten(tmp_path):
    rows = HEADER + "Food Vision,amy bob cat,,\n"
    first, out = roster(rows, tmp_path)
    assert first.returncode == 0, first.stderr
    marker = out / "proj01-food-vision" / "ours.txt"
    marker.write_text("keep me")
    second, _ = roster(rows, tmp_path)
    assert second.returncode == 1
    assert (
        "line 2 (team 'Food Vision'): " in second.stderr
        and "proj01-food-vision already exists" in second.stderr
    )
    assert marker.read_text() == "keep me"
    assert sorted(path.name for path in out.iterdir()) == ["proj01-food-vision"], (
        "no staging folder left behind"
    )


def test_roster_repository_takes_later_releases_with_copier_update(tmp_path):
    """Rendered from a tagged checkout, a team repository updates from template_url."""
    fork = new_template_repo(tmp_path / "fork")
    course = fork / "course.yml"
    course.write_text(
        course.read_text().replace(
            "template_url: gh:gourmetgram-team/mlsys-team-template",
            f"template_url: {fork}",
        )
    )
    release(fork, "v1")
    (tmp_path / "teams.csv").write_text(HEADER + "Food Vision,amy bob cat,,\n")
    subprocess.run(
        [
            sys.executable,
            "roster.py",
            str(tmp_path / "teams.csv"),
            str(tmp_path / "out"),
        ],
        cwd=fork,
        check=True,
        capture_output=True,
    )
    repository = tmp_path / "out" / "proj01-food-vision"
    recorded = yaml.safe_load((repository / ".copier-answers.yml").read_text())
    assert (recorded["_src_path"], recorded["_commit"]) == (str(fork), "v1")

    def fix(repo: Path) -> None:
        gitignore = project_file(repo, ".gitignore")
        gitignore.write_text(gitignore.read_text() + ".idea/\n")

    release(fork, "v2", fix)
    copier.run_update(str(repository), defaults=True, overwrite=True, quiet=True)
    assert (repository / ".gitignore").read_text().endswith(".idea/\n")
    assert (
        yaml.safe_load((repository / ".copier-answers.yml").read_text())["_commit"]
        == "v2"
    )
