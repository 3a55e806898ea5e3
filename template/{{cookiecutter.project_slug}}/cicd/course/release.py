"""Publish a milestone's demo report as the GitHub Release of its tag.

Run by .github/workflows/demo.yml after `nox -s demo` when a `demo/<milestone>`
tag is pushed:

    python -m cicd.course.release initial --tag demo/initial --sha $SHA \
        --pushed-at $EPOCH --checks success

- No release for the tag yet: create it, with the report as its text and the
  report and its evidence (figures, artifacts, logs) attached; its name says
  LATE when the tag arrived after the deadline (in the course's time zone).
- The release exists and records this very push (a re-run of the workflow):
  nothing to do.
- The release exists for another commit or another push (the tag was moved or
  pushed again): the release is never touched. A new note, a pre-release on its
  own tag `demo/<milestone>/moved-<n>`, records the new commit, its timing and its
  report, and the command fails so the move cannot go unnoticed. (`*` in the
  workflow's `demo/*` filter does not match `/`, and tags made with the job's
  token trigger no workflow, so a note never starts another demo.)
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from {{ cookiecutter.package_name }} import paths

from cicd.course.milestones import (
    MILESTONES_FILE,
    Milestone,
    MilestoneError,
    Timing,
    load,
    parse_moment,
)
from cicd.github_api import GitHub, quoted

MARKER = re.compile(r"<!-- demo-release (\{.*?\}) -->")
BODY_LIMIT = 120_000  # GitHub refuses release bodies over 125,000 characters


@dataclass(frozen=True)
class Push:
    milestone: Milestone
    tag: str
    sha: str
    pushed_at: datetime
    checks_passed: bool

    @property
    def timing(self) -> Timing:
        return Timing(self.milestone.deadline, self.pushed_at)

    @property
    def local_time(self) -> str:
        """When the tag arrived, in the course's time zone."""
        local = self.pushed_at.astimezone(self.milestone.deadline.tzinfo)
        return f"{local:%Y-%m-%d %H:%M %Z}"

    def facts(self, **extra: str) -> dict[str, str]:
        return {"sha": self.sha, "pushed_at": self.pushed_at.isoformat(), **extra}

    def record(self, **extra: str) -> str:
        """The facts, hidden in a release's text for later runs to read."""
        return (
            f"<!-- demo-release {json.dumps(self.facts(**extra), sort_keys=True)} -->"
        )


def recorded(release: dict) -> dict:
    """The facts this command wrote into a release's text, if it made it."""
    match = MARKER.search(release.get("body") or "")
    return json.loads(match.group(1)) if match else {}


def release_name(push: Push, prefix: str) -> str:
    flags = ["LATE"] if push.timing.late else []
    flags += [] if push.checks_passed else ["checks failing"]
    return prefix + (f" ({', '.join(flags)})" if flags else "")


def linked_report(report: str, folder: str, github: GitHub, tag: str) -> str:
    """The report with its relative evidence links pointing at the assets."""
    base = f"{github.server_url}/{github.repository}/releases/download/{tag}/"
    text = report.replace(f"]({folder}/", f"]({base}")
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + "\n\n(cut here: the attached report is complete)\n"
    return text


def assets(report: Path) -> list[Path]:
    """The report and everything beside it in reports/<milestone>/."""
    folder = report.with_suffix("")
    if not folder.is_dir():
        return [report]
    return [report, *sorted(path for path in folder.iterdir() if path.is_file())]


def upload(github: GitHub, release: dict, files: list[Path]) -> int:
    """Attach the files the release lacks (never replacing one); how many."""
    present = {asset["name"] for asset in release.get("assets", [])}
    # upload_url is a URI template ending in {?name,label}.
    target = release["upload_url"].split("{", 1)[0]
    missing = [file for file in files if file.name not in present]
    for file in missing:
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".md":
            kind = "text/markdown"
        github.call(
            "POST",
            f"{target}?name={quoted(file.name)}",
            data=file.read_bytes(),
            content_type=kind,
        )
    return len(missing)


def create(github: GitHub, tag: str, name: str, body: str, **fields) -> dict:
    return github.call(
        "POST",
        github.repo_url("/releases"),
        {"tag_name": tag, "name": name, "body": body, **fields},
    )


def first_release(github: GitHub, push: Push, report: Path) -> dict:
    summary = (
        f"Tag `{push.tag}` at `{push.sha}`, pushed {push.local_time}: "
        f"**{push.timing.describe()}**."
    )
    text = linked_report(
        report.read_text(encoding="utf-8"), report.stem, github, push.tag
    )
    release = create(
        github,
        push.tag,
        release_name(push, f"{push.milestone.title} demo"),
        "\n\n".join([summary, text, push.record()]),
        make_latest="false",
    )
    upload(github, release, assets(report))
    return release


def move_note(github: GitHub, push: Push, report: Path, existing: dict) -> dict:
    """The note flagging a moved tag: made once per move, the release untouched."""
    notes = [
        release
        for release in github.paged("/releases")
        if recorded(release).get("note_for") == push.tag
    ]
    this_push = push.facts(note_for=push.tag)
    for note in notes:
        if recorded(note) == this_push:
            return note  # a re-run of the workflow for a move already flagged
    number = len(notes) + 1
    note_tag = f"{push.tag}/moved-{number}"
    original = recorded(existing)
    before = (
        f"commit `{original['sha']}`, pushed {original['pushed_at']}"
        if original
        else "a release this workflow did not make"
    )
    summary = (
        f"**`{push.tag}` was moved or pushed again** to `{push.sha}` at "
        f"{push.local_time} ({push.timing.describe()}). "
        f"The release of record stays [{existing.get('name')}]"
        f"({existing.get('html_url')}) ({before}); this note does not replace it."
    )
    text = linked_report(
        report.read_text(encoding="utf-8"), report.stem, github, note_tag
    )
    note = create(
        github,
        note_tag,
        release_name(push, f"{push.tag} moved (note {number})"),
        "\n\n".join([summary, text, push.record(note_for=push.tag)]),
        target_commitish=push.sha,
        prerelease=True,
        make_latest="false",
    )
    upload(github, note, assets(report))
    return note


def publish(github: GitHub, push: Push, report: Path) -> tuple[str, dict]:
    """What happened ("created", "unchanged" or "moved") and the release concerned."""
    existing = github.call("GET", github.repo_url(f"/releases/tags/{quoted(push.tag)}"))
    if existing is None:
        return "created", first_release(github, push, report)
    if recorded(existing) == push.facts():
        # A re-run for the same push: finish an upload an earlier run lost, if any.
        upload(github, existing, assets(report))
        return "unchanged", existing
    return "moved", move_note(github, push, report, existing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cicd.course.release", description=__doc__.splitlines()[0]
    )
    parser.add_argument("milestone")
    parser.add_argument("--tag", required=True)
    parser.add_argument("--sha", required=True)
    parser.add_argument("--pushed-at", type=parse_moment, required=True)
    parser.add_argument(
        "--checks",
        choices=("success", "failure"),
        required=True,
        help="the outcome of `nox -s demo` for this push",
    )
    parser.add_argument("--milestones", type=Path, default=MILESTONES_FILE)
    parser.add_argument("--reports", type=Path, default=paths.REPO_ROOT / "reports")
    args = parser.parse_args(argv)

    if args.tag != f"demo/{args.milestone}":
        print(f"error: tag {args.tag!r} is not demo/{args.milestone}", file=sys.stderr)
        return 2
    try:
        milestone = load(args.milestones).milestone(args.milestone)
    except MilestoneError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = args.reports / f"{args.milestone}.md"
    if not report.is_file():
        print(
            f"error: {report} does not exist: `nox -s demo` stopped before writing "
            "its report (see its log above)",
            file=sys.stderr,
        )
        return 2
    push = Push(milestone, args.tag, args.sha, args.pushed_at, args.checks == "success")
    outcome, release = publish(GitHub.from_environment(), push, report)
    url = release.get("html_url")
    if outcome == "moved":
        print(f"::error::{args.tag} was moved after its release; flagged in {url}")
        return 1
    print(f"{args.tag}: release {outcome}: {url} ({push.timing.describe()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
