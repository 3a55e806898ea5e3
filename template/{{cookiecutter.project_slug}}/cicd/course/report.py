"""The demo report: reports/<milestone>.md as Markdown, from the checks' rows.

Kept apart from running the checks (cicd/course/demo.py) so that what the report says,
and how, can change without touching how deliverables are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cicd.course import checks
from cicd.course.contributions import Report
from cicd.course.milestones import Deliverable, Milestone, Plan, Timing

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
        lines += [
            "",
            "Map them to a handle in `.mailmap` (see cicd/course/contributions.py).",
        ]
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
    lines += section_lines(plan, rows, only)
    pictures = figure_lines(rows)
    if pictures:
        lines += ["", "## Figures", "", *pictures]
    lines += ["", "## Contributions in owned rooms", ""]
    lines += contribution_lines(plan, numbers)
    if failed:
        lines += ["", "## Why it failed", ""]
        for row in failed:
            lines += failure_lines(row)
    return "\n".join(lines).rstrip() + "\n"


def section_lines(plan: Plan, rows: list[Row], only: set[str]) -> list[str]:
    """A section per group (the team's shared deliverables, then each role's)."""
    sections = [(SHARED, "Shared by the team")] + [
        (name, f"{role.title} ({owner_label(role.owner)})")
        for name, role in plan.roles.items()
    ]
    lines: list[str] = []
    for group, heading in sections:
        lines += ["", f"## {heading}", ""]
        group_rows = [row for row in rows if row.group == group]
        if only and group not in only:
            lines.append("Not checked in this run (`--role`).")
        else:
            lines += (
                table(group_rows) if group_rows else ["Nothing due at this milestone."]
            )
    return lines


def failure_lines(row: Row) -> list[str]:
    """Why one deliverable failed, under its owner and title."""
    return [
        f"### {owner_label(row.owner)}: {row.deliverable.title}",
        "",
        "```text",
        row.outcome.reason,
        "```",
        "",
    ]
