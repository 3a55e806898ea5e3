"""cicd.pr_rooms against a local server speaking GitHub's pulls and comments API."""

import pytest
from fake_github import REPO, TOKEN, FakeGitHub

from cicd import pr_rooms
from cicd.course.milestones import load

PLAN = """
timezone: UTC
members: [ana, ben, cat]
roles:
  data: {title: Data, owner: cat, paths: [/data/]}
  serving: {title: Serving, owner: ben, paths: [/serving/]}
  cicd: {title: CI/CD, owner: shared, paths: [/cicd/, /.github/, /noxfile.py]}
milestones: {}
"""


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "milestones.yml"
    path.write_text(PLAN)
    return path


@pytest.fixture
def github(monkeypatch):
    with FakeGitHub() as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        yield server


def test_rooms_and_owners_of_the_changed_files(plan_file):
    touched = pr_rooms.rooms_touched(
        load(plan_file),
        ["serving/service.py", "noxfile.py", "README.md", "data/x.py", "noxfile.pyc"],
    )
    assert touched == {
        "serving": ["serving/service.py"],
        "cicd": ["noxfile.py"],
        "shared": ["README.md", "noxfile.pyc"],
        "data": ["data/x.py"],
    }


def test_one_comment_created_then_updated(github, plan_file):
    github.pull_files[7] = ["serving/service.py", "cicd/course/demo.py"]
    assert pr_rooms.main(["--pr", "7", "--milestones", str(plan_file)]) == 0
    (comment,) = github.comments[7]
    assert "| Serving | @ben | `serving/service.py` |" in comment["body"]
    assert (
        "| CI/CD | the whole team (@ana, @ben, @cat) | `cicd/course/demo.py` |"
        in (comment["body"])
    )
    # A later push touches data instead: the same comment now says so.
    github.pull_files[7] = [f"data/file{index}.py" for index in range(7)]
    assert pr_rooms.main(["--pr", "7", "--milestones", str(plan_file)]) == 0
    (comment,) = github.comments[7]
    assert "| Data | @cat |" in comment["body"] and "and 2 more" in comment["body"]
    assert "Serving" not in comment["body"]


def test_many_files_are_read_across_pages(github, plan_file):
    github.pull_files[3] = [f"data/f{index}.py" for index in range(150)]
    assert pr_rooms.main(["--pr", "3", "--milestones", str(plan_file)]) == 0
    assert "and 145 more" in github.comments[3][0]["body"]


def test_fork_pull_request_gets_the_table_in_the_summary(
    github, plan_file, tmp_path, monkeypatch, capsys
):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    github.read_only = True
    github.pull_files[9] = ["serving/service.py"]
    assert pr_rooms.main(["--pr", "9", "--milestones", str(plan_file)]) == 0
    assert "| Serving | @ben |" in summary.read_text()
    assert "cannot comment (read-only token)" in capsys.readouterr().out
    assert 9 not in github.comments
