"""The `releases` branch Argo CD applies (cicd/deploy/release_branch.sh), with
real git: an `origin` repository, a main that moves on, and the deploy
workflow's clone that records, publishes and rolls back."""

import shutil
import subprocess
from pathlib import Path

import pytest

from cicd import manifests

PROJECT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT / "cicd" / "deploy" / "release_branch.sh"
IMAGE = "ghcr.io/team/app-serving:sha-0123456789ab-run-7"


GIT = (
    *("git", "-c", "user.name=Member", "-c", "user.email=member@example.org"),
    *("-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"),
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [*GIT, *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def release_branch(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], cwd=repo, capture_output=True, text=True
    )


@pytest.fixture
def origin(tmp_path) -> Path:
    """The team's repository on GitHub: main holds the manifests."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(bare))
    member = tmp_path / "member"
    git(tmp_path, "clone", "--quiet", str(bare), str(member))
    shutil.copytree(manifests.ROOT, member / "cicd" / "k8s")
    (member / "README.md").write_text("v1\n")
    git(member, "add", "-A")
    git(member, "commit", "--quiet", "-m", "The manifests")
    git(member, "push", "--quiet", "origin", "HEAD:main")
    return bare


def workflow_clone(origin: Path, where: Path, monkeypatch) -> Path:
    """What actions/checkout gives a deploy job (fetch-depth 0)."""
    git(where.parent, "clone", "--quiet", str(origin), str(where))
    monkeypatch.setattr(manifests, "ROOT", where / "cicd" / "k8s")
    return where


def released(origin: Path, where: Path, monkeypatch, environment: str) -> None:
    """A deploy job's clone that released IMAGE to the environment."""
    clone = workflow_clone(origin, where, monkeypatch)
    release_branch(clone, "checkout")
    manifests.record(environment, IMAGE, "run-7-0a1b2c")
    assert release_branch(clone, "publish", environment).returncode == 0


def on_main(member: Path, relative: str, edit) -> None:
    """A member's change to one file, pushed to main."""
    git(member, "pull", "--quiet", "origin", "main")
    path = member / relative
    path.write_text(edit(path.read_text()))
    git(member, "commit", "--quiet", "-am", f"A change to {relative} on main")
    git(member, "push", "--quiet", "origin", "HEAD:main")


def test_publish_commits_one_record_to_releases_and_main_stays(
    origin, tmp_path, monkeypatch
):
    clone = workflow_clone(origin, tmp_path / "job1", monkeypatch)
    checkout = release_branch(clone, "checkout")
    assert checkout.returncode == 0, checkout.stderr
    assert git(clone, "branch", "--show-current") == "releases"
    manifests.record("staging", IMAGE, "run-7-0a1b2c")
    published = release_branch(clone, "publish", "staging")
    assert published.returncode == 0, published.stderr
    subject = git(origin, "log", "-1", "--format=%s", "releases")
    assert subject == f"release(staging): {IMAGE}, model run-7-0a1b2c"
    changed = git(origin, "show", "--name-only", "--format=", "releases")
    assert changed == "cicd/k8s/overlays/staging/release.yaml"
    assert git(origin, "log", "-1", "--format=%s", "main") == "The manifests"
    # Publishing the same record again makes no commit.
    again = release_branch(clone, "publish", "staging")
    assert again.returncode == 0 and "already records" in again.stdout
    assert git(origin, "rev-list", "--count", "releases") == "2"


def test_a_later_job_keeps_the_records_takes_mains_changes_and_reverts(
    origin, tmp_path, monkeypatch
):
    released(origin, tmp_path / "job1", monkeypatch, "production")
    # Meanwhile a member merges a change to main.
    on_main(tmp_path / "member", "README.md", lambda text: "v2\n")

    later = workflow_clone(origin, tmp_path / "job2", monkeypatch)
    checkout = release_branch(later, "checkout")
    assert checkout.returncode == 0, checkout.stderr
    assert (later / "README.md").read_text() == "v2\n"
    assert manifests.recorded("production") == (IMAGE, "run-7-0a1b2c")
    # The rollback: a revert of the record's commit.
    record = git(later, "log", "-1", "--format=%H", "--grep", "^release(production)")
    git(later, "revert", "--no-edit", record)
    assert manifests.recorded("production")[1] == "unreleased"


def test_main_changing_a_record_stops_the_checkout(origin, tmp_path, monkeypatch):
    released(origin, tmp_path / "job1", monkeypatch, "canary")
    record = "cicd/k8s/overlays/canary/release.yaml"
    by_hand = "unreleased", "edited-by-hand"
    on_main(tmp_path / "member", record, lambda text: text.replace(*by_hand))

    later = workflow_clone(origin, tmp_path / "job2", monkeypatch)
    checkout = release_branch(later, "checkout")
    assert checkout.returncode == 1
    assert "main changed a file the releases branch changed too" in checkout.stderr
