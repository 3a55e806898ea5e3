"""From what GitHub has to what the template wants: the changes, and what is left
for people to set (secrets, and variables whose value this shell does not have).

A pure function of the two states and the shell's environment, so `--dry-run`
and the run itself compute the same thing, and a run after a run finds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .current import Current, environment_fields, protection_fields
from .desired import BRANCH, Desired


@dataclass(frozen=True)
class Change:
    do: str  # create or update
    kind: str  # branch_protection, environment, actions_permissions, variable
    name: str
    # What is set. A variable's value is not shown: it came from the shell.
    shown: dict[str, Any] = field(default_factory=dict)
    environment: str = ""  # a variable's environment ("" for the repository)


@dataclass
class Outcome:
    changes: list[Change] = field(default_factory=list)
    # Setting names and where to set them, for people to do.
    missing: list[dict[str, str]] = field(default_factory=list)


def created_or_updated(found: Any) -> str:
    return "create" if found is None else "update"


def compare(desired: Desired, current: Current, environ: Mapping[str, str]) -> Outcome:
    outcome = Outcome()
    wanted = protection_fields(desired.protection)
    if current.protection != wanted:
        do = created_or_updated(current.protection)
        outcome.changes.append(Change(do, "branch_protection", BRANCH, wanted))
    for environment in desired.environments:
        found = current.environments.get(environment.name)
        wanted = environment_fields(environment)
        if found != wanted:
            do = created_or_updated(found)
            outcome.changes.append(Change(do, "environment", environment.name, wanted))
    if not current.actions_can_open_pull_requests:
        shown = {"can_approve_pull_request_reviews": True}
        change = Change("update", "actions_permissions", "workflow", shown)
        outcome.changes.append(change)
    for setting in desired.settings:
        place = (setting.environment, setting.name)
        if setting.kind == "secret":
            if place not in current.secrets:
                outcome.missing.append({"name": setting.name, "where": setting.where})
            continue
        value = environ.get(setting.name, "").strip()
        found = current.variables.get(place)
        if value and value != found:
            do = created_or_updated(found)
            shown = {"from": f"${setting.name} in this shell"}
            change = Change(do, "variable", setting.name, shown, setting.environment)
            outcome.changes.append(change)
        elif not value and found is None:
            outcome.missing.append({"name": setting.name, "where": setting.where})
    return outcome
