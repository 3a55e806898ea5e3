"""Who did what in the rooms they own, from `git log --numstat`.

A commit is matched to a member by its author (after `.mailmap`, which git
applies) in this order:

1. a GitHub noreply address, ``<id>+<handle>@users.noreply.github.com`` or
   ``<handle>@users.noreply.github.com`` (what GitHub uses for web edits and for
   members who keep their email private);
2. an author name equal to the handle (case does not matter).

Anyone else (a personal email with a display name) is listed as unmatched, so the
team can add a line to `.mailmap`, e.g. ``Ana Ruiz <gg-ana@users.noreply.github.com>
<ana@example.org>``. Every ``Co-authored-by:`` trailer is matched the same way (also
through `.mailmap`), and a co-authored commit counts for each co-author: one more
co-authored commit, and its lines.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

NOREPLY = re.compile(r"^(?:\d+\+)?([A-Za-z0-9-]+)@users\.noreply\.github\.com$", re.I)
TRAILER = re.compile(r"^\s*(.*?)\s*<([^>]*)>\s*$")
# Field separators git cannot find in names, emails or paths.
RECORD, FIELD, ITEM = "\x1e", "\x1f", "\x1d"
LOG_FORMAT = (
    f"{RECORD}%H{FIELD}%aN{FIELD}%aE{FIELD}"
    f"%(trailers:key=Co-authored-by,valueonly,separator=%x1d){FIELD}"
)


@dataclass
class Contribution:
    commits: int = 0
    co_authored: int = 0
    added: int = 0
    removed: int = 0


@dataclass
class Commit:
    sha: str
    author: str  # "Name <email>", after .mailmap
    co_authors: list[str]
    added: int
    removed: int


@dataclass
class Report:
    by_member: dict[str, Contribution]
    unmatched: Counter = field(default_factory=Counter)  # identity -> commits
    history: bool = True  # False outside a git checkout or before the first commit


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def has_history(root: Path) -> bool:
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def pathspecs(role_paths: list[str]) -> list[str]:
    """CODEOWNERS-style paths (/data/, /noxfile.py) as git pathspecs."""
    return [f":(top){path.lstrip('/')}" for path in role_paths]


def parse_numstat(block: str) -> tuple[int, int]:
    added = removed = 0
    for line in block.splitlines():
        parts = line.split("\t")
        # Binary files show "-" for both counts: no lines to count.
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            added += int(parts[0])
            removed += int(parts[1])
    return added, removed


def commits_touching(root: Path, role_paths: list[str]) -> list[Commit]:
    if not role_paths:
        return []
    output = git(
        root, "log", "--no-merges", "--numstat", f"--format={LOG_FORMAT}",
        "--", *pathspecs(role_paths),
    )  # fmt: skip
    commits = []
    for record in output.split(RECORD)[1:]:
        sha, name, email, trailers, numstat = record.split(FIELD)
        added, removed = parse_numstat(numstat)
        co_authors = [item.strip() for item in trailers.split(ITEM) if item.strip()]
        commits.append(Commit(sha, f"{name} <{email}>", co_authors, added, removed))
    return commits


def mailmapped(root: Path, identity: str) -> str:
    """A trailer's "Name <email>" as .mailmap rewrites it (git does not do it)."""
    if not TRAILER.match(identity):
        return identity
    return git(root, "check-mailmap", identity).strip() or identity


def handle_of(identity: str, members: list[str]) -> str | None:
    match = TRAILER.match(identity)
    if not match:
        return None
    name, email = match.groups()
    by_lower = {member.lower(): member for member in members}
    noreply = NOREPLY.match(email)
    if noreply and noreply.group(1).lower() in by_lower:
        return by_lower[noreply.group(1).lower()]
    return by_lower.get(name.strip().lower())


def contributions(
    root: Path, members: list[str], paths_of: dict[str, list[str]]
) -> Report:
    """Each member's numbers over the paths of the roles they own.

    ``paths_of`` maps a member to the paths they own; a member who owns nothing
    (or has no commits yet) gets zeros, not a missing row.
    """
    report = Report({member: Contribution() for member in members})
    if not has_history(root):
        report.history = False
        return report
    mapped: dict[str, str] = {}
    for member in members:
        for commit in commits_touching(root, paths_of.get(member, [])):
            credited = False
            if handle_of(commit.author, members) == member:
                report.by_member[member].commits += 1
                credited = True
            else:
                for co_author in commit.co_authors:
                    if co_author not in mapped:
                        mapped[co_author] = mailmapped(root, co_author)
                    if handle_of(mapped[co_author], members) == member:
                        report.by_member[member].co_authored += 1
                        credited = True
                        break
            if credited:
                report.by_member[member].added += commit.added
                report.by_member[member].removed += commit.removed
    all_paths = sorted({path for owned in paths_of.values() for path in owned})
    for commit in commits_touching(root, all_paths):
        if handle_of(commit.author, members) is None:
            report.unmatched[commit.author] += 1
        for co_author in commit.co_authors:
            if co_author not in mapped:
                mapped[co_author] = mailmapped(root, co_author)
            if handle_of(mapped[co_author], members) is None:
                report.unmatched[f"{co_author} (co-author)"] += 1
    return report
