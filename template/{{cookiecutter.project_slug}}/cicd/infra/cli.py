"""`python -m cicd.infra plan|up|down|status` (run as `nox -s infra -- ...`).

plan: the steps `up` would take, as JSON, touching nothing; compared with the
cloud when the OS_* credentials are set, else planned from nothing (so a pull
request can show it). up: takes them, one at a time against the cloud as it
is, so a second `up` changes nothing and an interrupted one can be run again.
down: removes everything `up` made, and nothing else. status: what exists.

Exit codes: 0 done; 1 Chameleon refused or failed; 2 a bad resources.yml or
missing credentials (the message names what to fix).
"""

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from ..runner import credentials
from .desired import InfraFileError, load
from .plan import Existing, as_json, plan, teardown


def connected(site: str):
    from . import cloud  # python-chi only for the commands that need it

    return cloud, cloud.connect_to(site)


def command_plan(args) -> dict[str, Any]:
    desired = load()
    presence = credentials.presence()
    if any(presence[name] == "missing" for name in credentials.CHAMELEON_VARIABLES):
        found, against = Existing(), "nothing: no OS_* credentials are set"
    else:
        cloud, chi = connected(desired.site)
        found, against = cloud.existing(chi), f"what exists at {desired.site}"
    steps = as_json(plan(desired, found))
    return {"site": desired.site, "compared_with": against, "steps": steps}


def command_up(args) -> dict[str, Any]:
    desired = load()
    cloud, chi = connected(desired.site)
    steps = plan(desired, cloud.existing(chi))
    for step in steps:
        print(f"{step.do} {step.kind} {step.name}", file=sys.stderr, flush=True)
        cloud.carry_out(chi, desired, step)
    return {"site": desired.site, "done": as_json(steps)}


def command_down(args) -> dict[str, Any]:
    desired = load()
    cloud, chi = connected(desired.site)
    steps = teardown(cloud.existing(chi))
    for step in steps:
        print(f"{step.do} {step.kind} {step.name}", file=sys.stderr, flush=True)
        cloud.carry_out(chi, desired, step)
    return {"site": desired.site, "done": as_json(steps)}


def command_status(args) -> dict[str, Any]:
    desired = load()
    cloud, chi = connected(desired.site)
    return {"site": desired.site, **asdict(cloud.existing(chi))}


COMMANDS = {
    "plan": command_plan,
    "up": command_up,
    "down": command_down,
    "status": command_status,
}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="nox -s infra --", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    commands.add_parser("plan", help="print the steps `up` would take; touches nothing")
    commands.add_parser("up", help="make the cloud match cicd/infra/resources.yml")
    commands.add_parser("down", help="remove everything `up` made")
    commands.add_parser("status", help="list this project's infra resources")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(json.dumps(COMMANDS[args.command](args), indent=2, default=str))
    except (credentials.MissingCredentials, InfraFileError) as error:
        message = credentials.redact(str(error))
        print(f"infra {args.command}: {message}", file=sys.stderr)
        return 2
    except Exception as error:
        # Library errors may quote a request; mask every secret before printing.
        message = credentials.redact(f"{type(error).__name__}: {error}")
        print(f"infra {args.command}: {message}", file=sys.stderr)
        return 1
    return 0
