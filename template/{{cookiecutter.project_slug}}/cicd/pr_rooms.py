"""Comment on a pull request which rooms it touches and who owns each.

Run by .github/workflows/rooms.yml: ``python -m cicd.pr_rooms --pr 12``. The
rooms and owners come from milestones.yml, which is generated from the same
roles/ data as .github/CODEOWNERS; CODEOWNERS review is what actually gates the
merge, this comment only makes it visible. One comment per pull request, updated
in place on every push. On a pull request from a fork GitHub gives the job a
read-only token: the table then goes to the job summary and log only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cicd.course.milestones import MILESTONES_FILE, Plan, Role, load
from cicd.github_api import GitHub, GitHubError

MARKER = "<!-- rooms-comment -->"


def matches(path: str, owned: str) -> bool:
    """A repository path against a CODEOWNERS-style /room/ or /file entry."""
    owned = owned.lstrip("/")
    return path.startswith(owned) if owned.endswith("/") else path == owned


def rooms_touched(plan: Plan, files: list[str]) -> dict[str, list[str]]:
    """Role name (or "shared") -> the changed files it owns."""
    touched: dict[str, list[str]] = {}
    for path in files:
        owners = [
            name
            for name, role in plan.roles.items()
            if any(matches(path, owned) for owned in role.paths)
        ]
        # Like CODEOWNERS, the last matching role wins.
        touched.setdefault(owners[-1] if owners else "shared", []).append(path)
    return touched


def owner_text(role: Role | None, members: tuple[str, ...]) -> str:
    if role is None or role.owner == "shared":
        return "the whole team (" + ", ".join(f"@{m}" for m in members) + ")"
    return f"@{role.owner}"


def comment_body(plan: Plan, touched: dict[str, list[str]]) -> str:
    lines = [
        MARKER,
        "### Rooms this pull request touches",
        "",
        "| Room | Owner (reviews it) | Files |",
        "|---|---|---|",
    ]
    order = [*plan.roles, "shared"]
    for name in sorted(touched, key=order.index):
        role = plan.roles.get(name)
        title = role.title if role else "Shared code, contracts and docs"
        files = touched[name]
        shown = ", ".join(f"`{path}`" for path in files[:5])
        more = f" and {len(files) - 5} more" if len(files) > 5 else ""
        lines.append(f"| {title} | {owner_text(role, plan.members)} | {shown}{more} |")
    if not touched:
        lines.append("| (no files) | - | - |")
    lines += [
        "",
        "Each room's code owners must approve (`.github/CODEOWNERS`): its owner, or "
        "for the owner's own changes the room's second reviewer. Tick the matching "
        "sections of the pull request checklist.",
    ]
    return "\n".join(lines) + "\n"


def post(github: GitHub, number: int, body: str) -> str:
    """Create the rooms comment, or update the one an earlier push made."""
    for comment in github.paged(f"/issues/{number}/comments"):
        if comment.get("body", "").startswith(MARKER):
            url = github.repo_url(f"/issues/comments/{comment['id']}")
            github.call("PATCH", url, {"body": body})
            return "updated"
    github.call("POST", github.repo_url(f"/issues/{number}/comments"), {"body": body})
    return "created"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cicd.pr_rooms", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--pr", type=int, required=True, help="pull request number")
    parser.add_argument("--milestones", type=Path, default=MILESTONES_FILE)
    args = parser.parse_args(argv)

    plan = load(args.milestones)
    github = GitHub.from_environment()
    files = [item["filename"] for item in github.paged(f"/pulls/{args.pr}/files")]
    body = comment_body(plan, rooms_touched(plan, files))
    print(body)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(body)
    try:
        print(f"rooms comment {post(github, args.pr, body)} on #{args.pr}")
    except GitHubError as error:
        if error.status != 403:
            raise
        # A fork's pull request: read-only token. The summary above still shows it.
        print(f"::warning::cannot comment (read-only token): {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
