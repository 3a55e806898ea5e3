"""`python -m cicd.infra plan|up|down|status` (run as `nox -s infra -- ...`).

plan: the steps `up` would take, as JSON, touching nothing; compared with each
site whose credentials are set (OS_* for the VMs' site, CHI_UC_OS_* and the like
for a bare-metal site), else planned from nothing (so a pull request can show
it). up: takes them, one at a time against the cloud as it is, so a second `up`
changes nothing and an interrupted one can be run again. down: removes
everything `up` made (with the CI runner's registration), and nothing else.
status: what exists.
inventory: the Ansible inventory of the VMs `up` made, which `nox -s infra --
configure` hands to cicd/infra/ansible/site.yml.

Exit codes: 0 done; 1 Chameleon refused or failed; 2 a bad resources.yml or
missing credentials (the message names what to fix).
"""

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..runner import credentials
from .desired import Desired, InfraFileError, load
from .inventory import inventory
from .plan import Existing, Step, as_json, plan, teardown


def cloud_calls():
    from . import cloud  # python-chi only for the commands that need it

    return cloud


def missing_any(names: tuple[str, ...]) -> bool:
    return any(not os.environ.get(name) for name in names)


def looked_up_buckets(desired: Desired) -> dict[str, dict[str, Any]]:
    """The file's buckets that exist (refused without the AWS_* credentials)."""
    if not desired.buckets:
        return {}
    from . import buckets  # boto3 only for the commands that need it

    return buckets.existing(buckets.client(), desired.buckets)


def look_up_github(found: Existing, desired: Desired, required: bool) -> None:
    """The CI runner registrations and CI_RUNNER_READY into ``found``; without
    RUNNER_ADMIN_TOKEN, none, or refused when ``required`` and the file has a
    runner VM."""
    has_runner = any(server.github_runner for server in desired.servers)
    if missing_any(credentials.GITHUB_VARIABLES) and not (required and has_runner):
        return
    found.github_runners = cloud_calls().registered_runners()
    found.github_variables = cloud_calls().repository_variables()


def compared_with(site: str, desired: Desired, signed_in: list[str]) -> str:
    if site in signed_in:
        return f"what exists at {site}"
    names = credentials.site_variables(site, desired.site)
    return f"nothing: {names[0]} and the rest of its credential are not set"


def command_plan(args) -> dict[str, Any]:
    desired = load()
    signed_in = [
        site
        for site in desired.sites()
        if not missing_any(credentials.site_variables(site, desired.site))
    ]
    found = cloud_calls().existing(desired, signed_in) if signed_in else Existing()
    if missing_any(credentials.OBJECT_STORE_VARIABLES):
        buckets_against = "nothing: no AWS_* credentials are set"
    else:
        found.buckets = looked_up_buckets(desired)
        buckets_against = "what the object store holds"
    look_up_github(found, desired, required=False)
    home, *others = desired.sites()
    return {
        "site": desired.site,
        "compared_with": compared_with(home, desired, signed_in),
        **(
            {"other_sites": {s: compared_with(s, desired, signed_in) for s in others}}
            if others
            else {}
        ),
        "buckets_compared_with": buckets_against,
        "steps": as_json(plan(desired, found)),
    }


def take_steps(
    choose: Callable[[Desired, Existing], list[Step]], removing_all: bool = False
) -> dict[str, Any]:
    """Carry out the steps ``choose`` picks from what exists, each said as it
    starts; ``removing_all`` (down) also needs the CI runner's registration."""
    desired = load()
    for site in desired.sites():  # missing: refused before any request
        credentials.chameleon_at(site, desired.site)
    cloud = cloud_calls()
    found = cloud.existing(desired)
    found.buckets = looked_up_buckets(desired)  # missing AWS_*: refused here
    look_up_github(found, desired, required=removing_all)
    steps = choose(desired, found)
    if any(
        step.details.get("github_runner") or step.kind == "github_variable"
        for step in steps
    ):
        credentials.github_token()  # missing: refused before any step is taken
    for step in steps:
        print(f"{step.do} {step.kind} {step.name}", file=sys.stderr, flush=True)
        cloud.carry_out(desired, step)
    return {"site": desired.site, "done": as_json(steps)}


def command_up(args) -> dict[str, Any]:
    return take_steps(plan)


def command_down(args) -> dict[str, Any]:
    return take_steps(lambda desired, existing: teardown(existing), removing_all=True)


def command_status(args) -> dict[str, Any]:
    desired = load()
    found = cloud_calls().existing(desired)
    if not missing_any(credentials.OBJECT_STORE_VARIABLES):
        found.buckets = looked_up_buckets(desired)
    look_up_github(found, desired, required=False)
    return {"site": desired.site, **asdict(found)}


def command_inventory(args) -> dict[str, Any]:
    """The inventory; with --output, written there (what is said: its hosts)."""
    desired = load()
    groups = inventory(desired, cloud_calls().existing(desired, [desired.site]))
    if args.output is None:
        return groups
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(groups, indent=2))
    return {"inventory": str(args.output), "hosts": sorted(groups["infra"]["hosts"])}


COMMANDS = {
    "plan": command_plan,
    "up": command_up,
    "down": command_down,
    "status": command_status,
    "inventory": command_inventory,
}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="nox -s infra --", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    commands.add_parser("plan", help="print the steps `up` would take; touches nothing")
    commands.add_parser("up", help="make the cloud match cicd/infra/resources.yml")
    commands.add_parser("down", help="remove everything `up` made")
    commands.add_parser("status", help="list this project's infra resources")
    listing = commands.add_parser("inventory", help="the VMs' Ansible inventory (JSON)")
    listing.add_argument("--output", type=Path, help="write it to this file")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return credentials.print_result(
        f"infra {args.command}",
        lambda: COMMANDS[args.command](args),
        (credentials.MissingCredentials, InfraFileError),
    )
