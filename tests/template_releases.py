"""Real releases of the template, for update tests: a copy of this repository in a
temporary git repository, changed and tagged the way an instructor publishes fixes."""

import io
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

from conftest import ROOT

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Instructor",
    "GIT_AUTHOR_EMAIL": "instructor@example.org",
    "GIT_COMMITTER_NAME": "Instructor",
    "GIT_COMMITTER_EMAIL": "instructor@example.org",
}


def git(repo: Path, *args: str) -> str:
    import os

    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_IDENTITY},
    )
    return result.stdout


def copy_of_this_template(destination: Path) -> Path:
    """The working tree as it is (committed or not, ignored files left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def release(repo: Path, tag: str, change: Callable[[Path], None] | None = None) -> None:
    """Apply `change` to the template, commit everything and tag it."""
    if change is not None:
        change(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", f"Release {tag}")
    git(repo, "tag", tag)


def project_file(repo: Path, relative: str) -> Path:
    """A file of the generated project, inside the template source."""
    return repo / "template" / "{{cookiecutter.project_slug}}" / relative


def new_template_repo(destination: Path) -> Path:
    destination.mkdir(parents=True)
    copy_of_this_template(destination)
    git(destination, "init", "-q")
    return destination


def this_template_at(commit: str, destination: Path) -> Path:
    """The template as committed at ``commit`` of this repository's history."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def replace_with_this_template(repo: Path) -> None:
    """A release change: the template becomes this working tree (deleted files go)."""
    for path in repo.iterdir():
        if path.is_dir() and path.name != ".git":
            shutil.rmtree(path)
        elif path.is_file():
            path.unlink()
    copy_of_this_template(repo)
