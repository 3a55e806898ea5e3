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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from {{ cookiecutter.package_name }} import paths

from cicd import checks, figures
from cicd.contributions import Report, contributions
from cicd.milestones import (
    MILESTONES_FILE,
    Deliverable,
    Milestone,
    MilestoneError,
    Plan,
    Timing,
    load,
    parse_moment,
)

PROJECT_NAME = "{{ cookiecutter.project_name }}"
SHARED = "shared"


@dataclass
class Row:
    group: str  # a role name, or SHARED
    owner: str
    deliverable: Deliverable
    outcome: checks.Outcome
    evidence: list[str]  # report-relative links (figures first)
    notes: list[str]


def owner_label(owner: str) -> str:
    return "the whole team" if owner == SHARED else f"@{owner}"


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


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| Owner | Deliverable | Check | Result | Evidence |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        result = "pass" if row.outcome.passed else "**FAIL**"
        links = [f"[{Path(link).name}]({link})" for link in row.evidence]
        evidence = ", ".join(links + row.notes) or "-"
        check = row.deliverable.describe().replace("|", "\\|")
        lines.append(
            f"| {owner_label(row.owner)} | {row.deliverable.title} | `{check}` "
            f"| {result} | {evidence} |"
        )
    return lines


def figure_lines(rows: list[Row]) -> list[str]:
    pictures = [
        (row.deliverable.figure, link)
        for row in rows
        for link in row.evidence
        if link.endswith(".png")
    ]
    return [f"![{name}]({link})" for name, link in pictures]


def contribution_lines(plan: Plan, report: Report) -> list[str]:
    lines = [
        "| Member | Rooms owned | Commits | Co-authored "
        "| Lines added | Lines removed |",
        "|---|---|---|---|---|---|",
    ]
    for member, numbers in report.by_member.items():
        rooms = [name for name, role in plan.roles.items() if role.owned_by(member)]
        lines.append(
            f"| @{member} | {', '.join(rooms) or '-'} | {numbers.commits} "
            f"| {numbers.co_authored} | {numbers.added} | {numbers.removed} |"
        )
    if not report.history:
        lines += ["", "No git history here yet: every count is zero."]
    if report.unmatched:
        lines += ["", "Commits in these rooms whose author matches no member:", ""]
        lines += [
            f"- `{identity}`: {count} commit{'s' if count > 1 else ''}"
            for identity, count in report.unmatched.most_common()
        ]
        lines += ["", "Map them to a handle in `.mailmap` (see cicd/contributions.py)."]
    return lines


def render(
    plan: Plan,
    milestone: Milestone,
    rows: list[Row],
    numbers: Report,
    timing: Timing,
    commit: str,
    only: set[str],
) -> str:
    failed = [row for row in rows if not row.outcome.passed]
    verdict = (
        f"**PASS**: {len(rows)} of {len(rows)} deliverables pass"
        if not failed
        else f"**FAIL**: {len(failed)} of {len(rows)} deliverables failed"
    )
    deadline = milestone.deadline.astimezone(plan.timezone)
    lines = [
        f"# {PROJECT_NAME}: {milestone.title} demo",
        "",
        f"- What must be shown: {milestone.shown}",
        f"- Deadline: {deadline:%Y-%m-%d %H:%M %Z} ({plan.timezone.key})",
        f"- Checked at: {timing.arrived.astimezone(plan.timezone):%Y-%m-%d %H:%M %Z}"
        f": **{timing.describe()}**",
        f"- Commit: `{commit}`",
        f"- Result: {verdict}",
        *(
            [f"- **Partial**: only {', '.join(sorted(only))} checked (`--role`)"]
            if only
            else []
        ),
    ]
    sections = [(SHARED, "Shared by the team")] + [
        (name, f"{role.title} ({owner_label(role.owner)})")
        for name, role in plan.roles.items()
    ]
    for group, heading in sections:
        lines += ["", f"## {heading}", ""]
        group_rows = [row for row in rows if row.group == group]
        if only and group not in only:
            lines.append("Not checked in this run (`--role`).")
        else:
            lines += (
                table(group_rows) if group_rows else ["Nothing due at this milestone."]
            )
    pictures = figure_lines(rows)
    if pictures:
        lines += ["", "## Figures", "", *pictures]
    lines += ["", "## Contributions in owned rooms", ""]
    lines += contribution_lines(plan, numbers)
    if failed:
        lines += ["", "## Why it failed", ""]
        for row in failed:
            lines += [
                f"### {owner_label(row.owner)}: {row.deliverable.title}",
                "",
                "```text",
                row.outcome.reason,
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cicd.demo", description=__doc__.splitlines()[0]
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
    args = parser.parse_args(argv)

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
    owned = {
        member: [
            p
            for role in plan.roles.values()
            if role.owned_by(member)
            for p in role.paths
        ]
        for member in plan.members
    }
    numbers = contributions(root, list(plan.members), owned)
    timing = Timing(milestone.deadline, args.at or datetime.now(plan.timezone))
    report = render(plan, milestone, rows, numbers, timing, commit_of(root), only)
    target = reports / f"{milestone.name}.md"
    target.write_text(report, encoding="utf-8")
    print(report)
    print(f"Written to {target}")
    return 0 if all(row.outcome.passed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
