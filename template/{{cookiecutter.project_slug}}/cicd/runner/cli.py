"""`python -m cicd.runner plan|up|down|status|gc` (run as `nox -s runner -- ...`).

Exit codes: 0 done; 1 Chameleon or GitHub refused or failed; 2 bad arguments or
missing credentials (the message names the variable to set).
"""

import argparse
from datetime import UTC, datetime, timedelta

from . import credentials, settings, stale
from .github import GitHub
from .plan import make_plan, node_settings
from .userdata import ReleaseTarget, cloud_config


class RunnerError(Exception):
    pass


def github_client() -> GitHub:
    return GitHub(settings.repository(), credentials.github_token())


def chameleon_client():
    from . import chameleon  # python-chi only for the commands that need it

    return chameleon, chameleon.connect()


def runners_named(github: GitHub, name: str) -> list[stale.Resource]:
    return [
        stale.Resource("runner", str(runner["id"]), runner["name"], None)
        for runner in github.runners()
        if runner["name"] == name
    ]


def remove_runners(github: GitHub, runners: list[stale.Resource]) -> list[str]:
    for runner in runners:
        github.delete_runner(int(runner.id))
    return [runner.name for runner in runners]


def release_target(chameleon, chi, lease_id: str) -> ReleaseTarget | None:
    release = credentials.release_credential()
    if release is None:
        return None
    return ReleaseTarget(
        auth_url=credentials.chameleon()["OS_AUTH_URL"],
        blazar_url=chameleon.blazar_url(chi),
        lease_id=lease_id,
        credential_id=release["OS_RELEASE_APPLICATION_CREDENTIAL_ID"],
        credential_secret=release["OS_RELEASE_APPLICATION_CREDENTIAL_SECRET"],
    )


def command_plan(args) -> dict:
    return make_plan(args.run_id, args.hours)


def command_up(args) -> dict:
    plan = make_plan(args.run_id, args.hours)
    credentials.chameleon()
    github = github_client()
    chameleon, chi = chameleon_client()
    release = github.runner_release()
    lease = chameleon.create_lease(chi, plan["lease"])
    registered = None
    try:
        reservation = chameleon.node_reservation_id(lease)
        registered = github.register(plan["label"], [plan["label"]])
        user_data = cloud_config(
            node_settings(plan["label"], plan["lease"], release),
            registered.jit_config,
            release_target(chameleon, chi, lease["id"]),
        )
        server = chameleon.create_server(chi, plan["server"], reservation, user_data)
    except BaseException:
        # Nothing half-made may outlive a failed `up`: it would hold a GPU node.
        if registered is not None:
            github.delete_runner(registered.runner_id)
        chameleon.delete(chi, stale.Resource("lease", lease["id"], plan["label"], None))
        raise
    return {
        "label": plan["label"],
        "lease_id": lease["id"],
        "lease_end": plan["lease"]["end_date"],
        "server_id": server.id,
        "runner_id": registered.runner_id,
        "runner_version": release.version,
    }


def command_down(args) -> dict:
    label = settings.run_label(args.run_id)
    github = github_client()
    chameleon, chi = chameleon_client()
    removed = remove_runners(github, runners_named(github, label))
    for resource in chameleon.servers(chi) + chameleon.leases(chi):
        if resource.name == label:
            chameleon.delete(chi, resource)
            removed.append(f"{resource.kind} {resource.name}")
    return {"label": label, "removed": removed}


def our_resources(github: GitHub, chameleon, chi) -> list[stale.Resource]:
    runners = [
        stale.Resource(
            "runner", str(runner["id"]), runner["name"], None, bool(runner["busy"])
        )
        for runner in github.runners()
    ]
    found = runners + chameleon.servers(chi) + chameleon.leases(chi)
    return [resource for resource in found if stale.ours(resource.name)]


def describe(resource: stale.Resource) -> dict:
    created = resource.created.isoformat() if resource.created else None
    return {"kind": resource.kind, "name": resource.name, "created": created}


def command_status(args) -> dict:
    github = github_client()
    chameleon, chi = chameleon_client()
    return {"resources": [describe(r) for r in our_resources(github, chameleon, chi)]}


def command_gc(args) -> dict:
    github = github_client()
    chameleon, chi = chameleon_client()
    resources = our_resources(github, chameleon, chi)
    live = {resource.name for resource in resources if resource.kind == "server"}
    older_than = timedelta(hours=args.older_than_hours)
    chosen = stale.stale(resources, older_than, datetime.now(UTC), live)
    if not args.dry_run:
        for resource in chosen:
            if resource.kind == "runner":
                github.delete_runner(int(resource.id))
            else:
                chameleon.delete(chi, resource)
    return {"dry_run": args.dry_run, "removed": [describe(r) for r in chosen]}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="nox -s runner --", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)

    def with_run(name: str, help_text: str):
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "--run-id",
            default="manual",
            help="what makes this run's label unique (CI passes run id and attempt)",
        )
        return command

    for name, help_text in (
        ("plan", "print the requests `up` would make, as JSON; touches nothing"),
        ("up", "lease a GPU node and start a one-job runner on it"),
    ):
        with_run(name, help_text).add_argument(
            "--hours", type=int, help=f"lease length (1..{settings.MAX_LEASE_HOURS})"
        )
    with_run("down", "remove the run's runner, server and lease")
    commands.add_parser("status", help="list this project's runners, servers, leases")
    gc = commands.add_parser("gc", help="remove stale runners, servers and leases")
    gc.add_argument(
        "--older-than-hours",
        type=float,
        default=settings.MAX_LEASE_HOURS + 1,
        help="servers and leases older than this go (default: longest lease + 1)",
    )
    gc.add_argument("--dry-run", action="store_true", help="only list what would go")
    return main


COMMANDS = {
    "plan": command_plan,
    "up": command_up,
    "down": command_down,
    "status": command_status,
    "gc": command_gc,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return credentials.print_result(
        f"runner {args.command}",
        lambda: COMMANDS[args.command](args),
        (credentials.MissingCredentials, settings.InvalidRequest),
    )
