"""cicd.course.release against a local server speaking GitHub's Releases API."""

import json
from datetime import datetime
from pathlib import Path

import pytest
from fake_github import REPO, TOKEN, FakeGitHub

from cicd.course import release
from cicd.github_api import GitHubError

# 2027-04-07 23:59:59 in New York is 2027-04-08 03:59:59 UTC.
BEFORE = str(int(datetime.fromisoformat("2027-04-08T03:59:00+00:00").timestamp()))
AFTER = str(int(datetime.fromisoformat("2027-04-08T05:00:00+00:00").timestamp()))
PLAN = """
timezone: America/New_York
members: [ana, ben, cat]
roles: {data: {title: Data, owner: cat, paths: [/data/]}}
milestones:
  initial:
    title: Initial implementation
    deadline: '2027-04-07T23:59:59'
    shown: each part on its own
    shared: []
    roles: {data: []}
"""


@pytest.fixture
def github(monkeypatch):
    with FakeGitHub() as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        yield server


@pytest.fixture
def reports(tmp_path) -> Path:
    (tmp_path / "milestones.yml").write_text(PLAN)
    folder = tmp_path / "reports" / "initial"
    folder.mkdir(parents=True)
    (folder / "training-curve.png").write_bytes(b"\x89PNG fake picture")
    (folder / "data-manifest.json").write_text('{"version": "abc"}')
    (tmp_path / "reports" / "initial.md").write_text(
        "# Demo\n\n![training-curve](initial/training-curve.png)\n"
    )
    return tmp_path


def publish(reports: Path, sha: str, pushed_at: str, checks="success") -> int:
    return release.main(
        [
            "initial",
            "--tag", "demo/initial",
            "--sha", sha,
            "--pushed-at", pushed_at,
            "--checks", checks,
            "--milestones", str(reports / "milestones.yml"),
            "--reports", str(reports / "reports"),
        ]
    )  # fmt: skip


def test_first_push_creates_the_release_with_its_evidence(github, reports):
    assert publish(reports, "a" * 40, BEFORE) == 0
    (made,) = github.releases
    assert made["tag_name"] == "demo/initial"
    assert made["name"] == "Initial implementation demo"
    assert "on time" in made["body"]
    # Relative evidence links now point at the release's assets.
    assert (
        "](https://github.com/team/project/releases/download/demo/initial/"
        "training-curve.png)" in made["body"]
    )
    assets = github.assets[made["id"]]
    assert set(assets) == {"initial.md", "training-curve.png", "data-manifest.json"}
    assert assets["training-curve.png"] == b"\x89PNG fake picture"


def test_late_tag_and_failing_checks_are_in_the_name(github, reports):
    assert publish(reports, "b" * 40, AFTER, checks="failure") == 0
    (made,) = github.releases
    assert made["name"] == "Initial implementation demo (LATE, checks failing)"
    assert "LATE by 1 h 0 min" in made["body"]


def test_rerun_of_the_same_push_changes_nothing(github, reports):
    assert publish(reports, "a" * 40, BEFORE) == 0
    assert publish(reports, "a" * 40, BEFORE) == 0
    assert len(github.releases) == 1
    posts = [r["path"] for r in github.requests if r["method"] == "POST"]
    assert len(posts) == 1 + 3  # one release, three assets


def test_rerun_finishes_an_interrupted_upload(github, reports):
    assert publish(reports, "a" * 40, BEFORE) == 0
    (made,) = github.releases
    del github.assets[made["id"]]["training-curve.png"]  # the upload was lost
    assert publish(reports, "a" * 40, BEFORE) == 0
    assert set(github.assets[made["id"]]) == {
        "initial.md",
        "training-curve.png",
        "data-manifest.json",
    }
    assert len(github.releases) == 1


def test_moved_tag_is_flagged_in_a_note_and_the_release_is_kept(github, reports):
    assert publish(reports, "a" * 40, BEFORE) == 0
    original = json.dumps(github.releases[0], sort_keys=True)
    assert publish(reports, "c" * 40, AFTER) == 1
    first, note = github.releases
    assert json.dumps(first, sort_keys=True) == original  # never overwritten
    assert note["tag_name"] == "demo/initial/moved-1"
    assert note["target_commitish"] == "c" * 40
    assert note["prerelease"] is True
    assert note["name"] == "demo/initial moved (note 1) (LATE)"
    assert f"commit `{'a' * 40}`" in note["body"]
    assert "does not replace it" in note["body"]
    assert "initial.md" in github.assets[note["id"]]
    # The same move seen again (a re-run) adds no second note; another move does.
    assert publish(reports, "c" * 40, AFTER) == 1
    assert len(github.releases) == 2
    assert publish(reports, "a" * 40, AFTER) == 1  # moved back, pushed again
    assert github.releases[-1]["tag_name"] == "demo/initial/moved-2"


def test_missing_report_is_named(github, tmp_path, capsys):
    (tmp_path / "milestones.yml").write_text(PLAN)
    code = publish(tmp_path, "a" * 40, BEFORE)
    assert code == 2
    assert "initial.md does not exist" in capsys.readouterr().err
    assert github.releases == []


def test_bad_token_is_a_clear_error(github, reports, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    with pytest.raises(GitHubError, match=r"401 to GET .*Bad credentials"):
        publish(reports, "a" * 40, BEFORE)


def test_tag_must_match_the_milestone(github, reports, capsys):
    code = release.main(
        ["system", "--tag", "demo/initial", "--sha", "a", "--pushed-at", BEFORE,
         "--checks", "success"]
    )  # fmt: skip
    assert code == 2
    assert "is not demo/system" in capsys.readouterr().err
