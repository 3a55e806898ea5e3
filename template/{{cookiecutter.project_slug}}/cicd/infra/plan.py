"""What `up` would do: the steps from what exists to what resources.yml describes.

A pure function of two states, so the plan printed without credentials (from
nothing), the plan compared with the cloud, and the steps `up` carries out are
the same computation. Steps come in the order `up` takes them: the leases, the
security groups, the servers, their floating IPs, the buckets, then what is no
longer wanted, dependants first. `up` never deletes a bucket; `down` deletes the
empty ones and keeps (a `keep` step) those that hold data.

A lease that has ended (VMs live about a day, leases some days) is replaced,
and so are the servers that lived in it and any server in ERROR; a floating IP
outlives its server and is attached to the new one, so the address stays.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from .desired import (
    CI_LABEL,
    LEASE_NAME,
    RUNNER_READY_VARIABLE,
    Desired,
)

# Blazar's states of a lease that no longer holds its resources.
ENDED = {"TERMINATING", "TERMINATED", "ERROR"}


@dataclass
class Existing:
    """This project's resources in the cloud, by name (only those `up` made)."""

    lease: dict[str, Any] | None = None  # Blazar's lease, with its "status"
    # name -> {"id", "ports": [..]} / {"id", "status", "address"} /
    # {"id", "address", "port_id"}
    security_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    floating_ips: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The file's buckets that exist: name -> {"empty": bool}.
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Leases named `<project_id>-metal-*` at the file's sites: name -> {"id",
    # "site", "status", "reservation_ids"}.
    bare_metal_leases: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The repository's runners with the project's CI label: name -> {"id", "status"}.
    github_runners: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The repository variables `up` sets (CI_RUNNER_READY): name -> value.
    github_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    do: str  # create, update, delete, or keep (a bucket that holds data)
    # lease, bare_metal_lease, security_group, server, floating_ip, bucket,
    # github_runner (the CI runner VM's registration with the repository) or
    # github_variable (CI_RUNNER_READY, which lets the CI jobs run)
    kind: str
    name: str
    details: dict[str, Any] = field(default_factory=dict)


def ended(lease: dict[str, Any] | None) -> bool:
    return lease is not None and lease.get("status") in ENDED


def renewed(kind: str, name: str, found: dict[str, Any] | None, details) -> list[Step]:
    """A lease's steps: made when missing, deleted and made again once ended."""
    if found is None:
        return [Step("create", kind, name, details)]
    if ended(found):
        gone = {"site": details["site"], "status": found["status"]}
        return [Step("delete", kind, name, gone), Step("create", kind, name, details)]
    return []


def lease_steps(desired: Desired, existing: Existing) -> list[Step]:
    details = {
        "site": desired.site,
        "flavor": desired.flavor,
        "instances": desired.instances,
        "days": desired.days,
    }
    steps = renewed("lease", LEASE_NAME, existing.lease, details)
    for lease in desired.bare_metal:
        details = {
            "site": lease.site,
            "node_type": lease.node_type,
            "nodes": lease.nodes,
            "days": lease.days,
        }
        found = existing.bare_metal_leases.get(lease.name)
        steps += renewed("bare_metal_lease", lease.name, found, details)
    return steps


def group_steps(desired: Desired, existing: Existing) -> list[Step]:
    steps = []
    for name, ports in desired.security_groups.items():
        found = existing.security_groups.get(name)
        if found is None:
            steps.append(Step("create", "security_group", name, {"ports": list(ports)}))
        elif sorted(found["ports"]) != sorted(ports):
            change = {"ports": list(ports), "ports_before": sorted(found["ports"])}
            steps.append(Step("update", "security_group", name, change))
    return steps


def server_steps(desired: Desired, existing: Existing) -> list[Step]:
    """New servers; ones in ERROR, or in a lease being renewed, made again."""
    steps = []
    for server in desired.servers:
        found = existing.servers.get(server.name)
        replaced = found is not None and (
            found.get("status") == "ERROR" or ended(existing.lease)
        )
        if replaced:
            was = {"was": found.get("status")}
            steps.append(Step("delete", "server", server.name, was))
        if found is None or replaced:
            details = {
                "os_image": server.os_image,
                "security_groups": list(server.security_groups),
                "cloud_init": server.cloud_init,
            }
            if server.github_runner:
                details["github_runner"] = CI_LABEL
            steps.append(Step("create", "server", server.name, details))
        address = existing.floating_ips.get(server.name)
        if server.floating_ip and address is None:
            steps.append(Step("create", "floating_ip", server.name))
        elif server.floating_ip and (
            found is None or replaced or not address.get("port_id")
        ):
            kept = {"address": address.get("address")}  # on the new server
            steps.append(Step("update", "floating_ip", server.name, kept))
    return steps


def variable_steps(desired: Desired, existing: Existing) -> list[Step]:
    """CI_RUNNER_READY=true while the file has a runner VM, removed without one."""
    found = existing.github_variables.get(RUNNER_READY_VARIABLE)
    if not any(server.github_runner for server in desired.servers):
        gone = Step("delete", "github_variable", RUNNER_READY_VARIABLE)
        return [gone] if found is not None else []
    if found == "true":
        return []
    do = "create" if found is None else "update"
    return [Step(do, "github_variable", RUNNER_READY_VARIABLE, {"value": "true"})]


def removal_steps(desired: Desired, existing: Existing) -> list[Step]:
    wanted_servers = {server.name for server in desired.servers}
    wanted_addresses = {s.name for s in desired.servers if s.floating_ip}
    wanted_runners = {s.name for s in desired.servers if s.github_runner}
    wanted_leases = {lease.name for lease in desired.bare_metal}
    return [
        *(
            Step("delete", "github_runner", name)
            for name in existing.github_runners
            if name not in wanted_runners
        ),
        *(
            Step("delete", "floating_ip", name)
            for name in existing.floating_ips
            if name not in wanted_addresses
        ),
        *(
            Step("delete", "server", name)
            for name in existing.servers
            if name not in wanted_servers
        ),
        *(
            Step("delete", "security_group", name)
            for name in existing.security_groups
            if name not in desired.security_groups
        ),
        *(
            Step("delete", "bare_metal_lease", name, {"site": found["site"]})
            for name, found in existing.bare_metal_leases.items()
            if name not in wanted_leases
        ),
    ]


def plan(desired: Desired, existing: Existing) -> list[Step]:
    """Every step from ``existing`` to ``desired``; none when they agree."""
    return [
        *lease_steps(desired, existing),
        *group_steps(desired, existing),
        *server_steps(desired, existing),
        *(
            Step("create", "bucket", name)
            for name in desired.buckets
            if name not in existing.buckets
        ),
        *variable_steps(desired, existing),
        *removal_steps(desired, existing),
    ]


def teardown(existing: Existing) -> list[Step]:
    """Every step of `down`: what `up` made, dependants first; a bucket that
    holds objects is kept."""
    return [
        # First, so that no job is queued for the runner being removed.
        *(
            Step("delete", "github_variable", name)
            for name in existing.github_variables
        ),
        *(Step("delete", "github_runner", name) for name in existing.github_runners),
        *(
            Step("delete" if found["empty"] else "keep", "bucket", name)
            for name, found in existing.buckets.items()
        ),
        *(Step("delete", "floating_ip", name) for name in existing.floating_ips),
        *(Step("delete", "server", name) for name in existing.servers),
        *(Step("delete", "security_group", name) for name in existing.security_groups),
        *([Step("delete", "lease", LEASE_NAME)] if existing.lease else []),
        *(
            Step("delete", "bare_metal_lease", name, {"site": found["site"]})
            for name, found in existing.bare_metal_leases.items()
        ),
    ]


def as_json(steps: list[Step]) -> list[dict[str, Any]]:
    return [asdict(step) for step in steps]
