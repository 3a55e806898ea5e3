"""`nox -s demo -- <milestone>`: every check of a milestone, and its report.

Runs the team's shared deliverables, then each role's, as milestones.yml lists
them; draws the figures; counts each member's work in the rooms they own; says
whether the work is on time; and writes reports/<milestone>.md with its evidence
(figures, copied artifacts, check logs) in reports/<milestone>/. Exits non-zero
when any deliverable fails; the report says which and why.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from {{ cookiecutter.package_name }} import paths

from cicd.course import checks, figures
from cicd.course.contributions import contributions
from cicd.course.milestones import (
    MILESTONES_FILE,
    Milestone,
    MilestoneError,
    Plan,
    Timing,
    load,
    parse_moment,
)
from cicd.course.report import SHARED, Row, render


def keep(source: Path, folder: Path, group: str) -> Path:
    """A copy of ``source`` beside the report (release assets have flat names)."""
    copy = folder / source.name
    if copy.exists():
        copy = folder / f"{group}-{source.name}"
    shutil.copyfile(source, copy)
    return copy


def collect_evidence(row: Row, folder: Path, root: Path, link_prefix: str) -> None:
    """Copy the promised artifact next to the report and draw the figure."""
    item = row.deliverable
    if not row.outcome.passed:
        if row.outcome.log:
            row.evidence.append(f"{link_prefix}{row.outcome.log.name}")
        return
    if item.figure:
        png, reason = figures.draw(item.figure, folder)
        if png:
            row.evidence.append(f"{link_prefix}{png.name}")
        else:
            row.notes.append(reason)
    for evidence in [item.evidence] + ([item.target] if item.kind == "file" else []):
        if evidence:
            copy = keep(root / evidence, folder, row.group)
            row.evidence.append(f"{link_prefix}{copy.name}")
    if row.outcome.log:
        row.evidence.append(f"{link_prefix}{row.outcome.log.name}")


def run_checks(
    plan: Plan,
    milestone: Milestone,
    nox_command: list[str],
    folder: Path,
    root: Path,
    only: set[str],
) -> list[Row]:
    groups = [(SHARED, SHARED, milestone.shared)] + [
        (name, role.owner, milestone.by_role.get(name, ()))
        for name, role in plan.roles.items()
    ]
    rows = []
    for group, owner, deliverables in groups:
        if only and group not in only:
            continue
        for index, item in enumerate(deliverables, start=1):
            print(f"[{group}] {item.title}: {item.describe()}", flush=True)
            log = folder / f"log-{group}-{index}.log"
            outcome = checks.run(item, nox_command, log, root)
            print(f"[{group}] {'PASS' if outcome.passed else 'FAIL'}", flush=True)
            row = Row(group, owner, item, outcome, [], [])
            collect_evidence(row, folder, root, f"{folder.name}/")
            rows.append(row)
    return rows


def commit_of(root: Path) -> str:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True
    )
    return result.stdout.strip() if result.returncode == 0 else "not a git checkout"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cicd.course.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("milestone")
    parser.add_argument(
        "--nox", default="nox", help="how to run nox (the session passes its own)"
    )
    parser.add_argument(
        "--at",
        type=parse_moment,
        help="when the work arrived: ISO 8601 with offset, or epoch seconds "
        "(CI passes the tag's push time; default: now)",
    )
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        help="check only this role's deliverables (repeatable; 'shared' for the "
        "team's); the report then says it is partial",
    )
    parser.add_argument("--milestones", type=Path, default=MILESTONES_FILE)
    parser.add_argument("--root", type=Path, default=paths.REPO_ROOT)
    return parser.parse_args(argv)


def owned_paths(plan: Plan) -> dict[str, list[str]]:
    """Each member's owned paths, for counting contributions in owned rooms."""
    return {
        member: [
            path
            for role in plan.roles.values()
            if role.owned_by(member)
            for path in role.paths
        ]
        for member in plan.members
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        plan = load(args.milestones)
        milestone = plan.milestone(args.milestone)
    except MilestoneError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    root = args.root.resolve()
    reports = root / "reports"
    folder = reports / milestone.name
    shutil.rmtree(folder, ignore_errors=True)  # no stale evidence from a past run
    folder.mkdir(parents=True)

    only = set(args.role)
    unknown = only - {SHARED, *plan.roles}
    if unknown:
        known = ", ".join([SHARED, *plan.roles])
        print(f"error: unknown role {sorted(unknown)}; known: {known}", file=sys.stderr)
        return 2
    rows = run_checks(plan, milestone, shlex.split(args.nox), folder, root, only)
    numbers = contributions(root, list(plan.members), owned_paths(plan))
    timing = Timing(milestone.deadline, args.at or datetime.now(plan.timezone))
    report = render(plan, milestone, rows, numbers, timing, commit_of(root), only)
    target = reports / f"{milestone.name}.md"
    target.write_text(report, encoding="utf-8")
    print(report)
    print(f"Written to {target}")
    return 0 if all(row.outcome.passed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
