"""The team's milestones as milestones.yml describes them, checked on load.

milestones.yml (at the repository root) is generated from the template's roles/
and holds each milestone's deadline and deliverables. A mistake in it (an unknown
milestone, a deliverable with two checks or none, an unknown time zone) stops
`nox -s demo` with a message naming the entry, before any check runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from {{ cookiecutter.package_name }} import paths

MILESTONES_FILE = paths.REPO_ROOT / "milestones.yml"
CHECK_KINDS = ("session", "tests", "file")
FIGURES = ("training-curve", "per-class-accuracy", "serving-latency")


class MilestoneError(ValueError):
    """milestones.yml says something `nox -s demo` cannot act on."""


@dataclass(frozen=True)
class Deliverable:
    title: str
    kind: str  # one of CHECK_KINDS
    target: str  # the session, the room or the file
    args: tuple[str, ...] = ()  # session arguments
    select: str | None = None  # pytest -k expression for a tests check
    contains: tuple[str, ...] = ()  # texts a file check requires
    evidence: str | None = None
    figure: str | None = None

    def describe(self) -> str:
        """The check as a member would type or read it."""
        if self.kind == "session":
            extra = f" -- {' '.join(self.args)}" if self.args else ""
            return f"nox -s {self.target}{extra}"
        if self.kind == "tests":
            extra = f" -k {self.select}" if self.select else ""
            return f"nox -s tests -- {self.target}{extra}"
        return f"{self.target} with " + ", ".join(repr(text) for text in self.contains)


@dataclass(frozen=True)
class Role:
    name: str
    title: str
    owner: str  # a member's handle, or "shared"
    paths: tuple[str, ...]

    def owned_by(self, member: str) -> bool:
        return self.owner == "shared" or self.owner.lower() == member.lower()


@dataclass(frozen=True)
class Milestone:
    name: str
    title: str
    deadline: datetime  # aware, in the course's time zone
    shown: str
    shared: tuple[Deliverable, ...]
    by_role: dict[str, tuple[Deliverable, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    timezone: ZoneInfo
    members: tuple[str, ...]
    roles: dict[str, Role]
    milestones: dict[str, Milestone]

    def milestone(self, name: str) -> Milestone:
        if name not in self.milestones:
            known = ", ".join(self.milestones)
            raise MilestoneError(
                f"unknown milestone {name!r}; milestones.yml has {known}"
            )
        return self.milestones[name]


def parse_deliverable(raw: object, where: str) -> Deliverable:
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
        raise MilestoneError(f"{where}: a deliverable needs a `title`, got {raw!r}")
    where = f"{where} ({raw['title']!r})"
    kinds = [kind for kind in CHECK_KINDS if kind in raw]
    if len(kinds) != 1:
        raise MilestoneError(
            f"{where}: give exactly one check of {', '.join(CHECK_KINDS)}; got "
            f"{', '.join(kinds) or 'none'}"
        )
    kind = kinds[0]
    contains = tuple(str(text) for text in raw.get("contains", []))
    if kind == "file" and not contains:
        raise MilestoneError(f"{where}: a file check needs `contains: [...]`")
    figure = raw.get("figure")
    if figure is not None and figure not in FIGURES:
        raise MilestoneError(
            f"{where}: unknown figure {figure!r}; known: {', '.join(FIGURES)}"
        )
    return Deliverable(
        title=raw["title"],
        kind=kind,
        target=str(raw[kind]),
        args=tuple(str(arg) for arg in raw.get("args", [])),
        select=raw.get("select"),
        contains=contains,
        evidence=raw.get("evidence"),
        figure=figure,
    )


def parse_deadline(text: object, timezone: ZoneInfo, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError as error:
        raise MilestoneError(f"{where}: deadline {text!r} is not ISO 8601") from error
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone)


def load_timezone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise MilestoneError(
            f"timezone {name!r} is not a known IANA time zone "
            "(e.g. America/New_York); on Windows `pip install tzdata`"
        ) from error


def load(path: Path = MILESTONES_FILE) -> Plan:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise MilestoneError(f"cannot read {path}: {error}") from error
    except yaml.YAMLError as error:
        raise MilestoneError(f"{path} is not valid YAML: {error}") from error
    for key in ("timezone", "members", "roles", "milestones"):
        if not isinstance(document, dict) or key not in document:
            raise MilestoneError(f"{path} lacks the top-level key {key!r}")
    timezone = load_timezone(document["timezone"])
    roles = {
        name: Role(name, raw["title"], str(raw["owner"]), tuple(raw["paths"]))
        for name, raw in document["roles"].items()
    }
    milestones = {}
    for name, raw in document["milestones"].items():
        where = f"{path.name}: milestones.{name}"
        unknown = set(raw.get("roles") or {}) - set(roles)
        if unknown:
            raise MilestoneError(f"{where}: roles {sorted(unknown)} are not in `roles`")
        milestones[name] = Milestone(
            name=name,
            title=raw["title"],
            deadline=parse_deadline(raw.get("deadline"), timezone, where),
            shown=raw.get("shown", ""),
            shared=tuple(
                parse_deliverable(item, f"{where}.shared")
                for item in raw.get("shared") or []
            ),
            by_role={
                role: tuple(
                    parse_deliverable(item, f"{where}.roles.{role}")
                    for item in (raw.get("roles") or {}).get(role) or []
                )
                for role in roles
            },
        )
    members = tuple(str(member) for member in document["members"])
    return Plan(timezone, members, roles, milestones)


def parse_moment(text: str) -> datetime:
    """A point in time: epoch seconds (GitHub's push time) or ISO 8601 with offset."""
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} needs a UTC offset, e.g. +00:00")
    return moment


@dataclass(frozen=True)
class Timing:
    """When work arrived relative to a deadline."""

    deadline: datetime
    arrived: datetime

    @property
    def late(self) -> bool:
        return self.arrived > self.deadline

    def describe(self) -> str:
        gap = abs(self.arrived - self.deadline)
        return f"{'LATE by' if self.late else 'on time,'} {format_span(gap)}" + (
            "" if self.late else " before the deadline"
        )


def format_span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if days or hours else []
    return " ".join([*parts, f"{minutes} min"])
