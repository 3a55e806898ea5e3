"""What `up` would do: the steps from what exists to what resources.yml describes.

A pure function of two states, so the plan printed without credentials (from
nothing), the plan compared with the cloud, and the steps `up` carries out are
the same computation. Steps come in the order `up` takes them: the lease, the
security groups, the servers, their floating IPs, the buckets, then what is no
longer wanted, dependants first. `up` never deletes a bucket; `down` deletes the
empty ones and keeps (a `keep` step) those that hold data.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from .desired import CI_LABEL, LEASE_NAME, TRACKER_BUCKET, Desired


@dataclass
class Existing:
    """This project's resources in the cloud, by name (only those `up` made)."""

    lease: dict[str, Any] | None = None
    # name -> {"id", "ports": [..]} / {"id", "status", "address"} / {"id", "address"}
    security_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    floating_ips: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The file's buckets that exist: name -> {"empty": bool}.
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    do: str  # create, update, delete, or keep (a bucket that holds data)
    kind: str  # bucket, lease, security_group, server or floating_ip
    name: str
    details: dict[str, Any] = field(default_factory=dict)


def lease_steps(desired: Desired, existing: Existing) -> list[Step]:
    if existing.lease is not None:
        return []
    details = {
        "site": desired.site,
        "flavor": desired.flavor,
        "instances": desired.instances,
        "days": desired.days,
    }
    return [Step("create", "lease", LEASE_NAME, details)]


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
    steps = []
    for server in desired.servers:
        if server.name not in existing.servers:
            details = {
                "os_image": server.os_image,
                "security_groups": list(server.security_groups),
                "cloud_init": server.cloud_init,
            }
            if server.github_runner:
                details["github_runner"] = CI_LABEL
            if server.mlflow_server:
                details["mlflow_server"] = f"s3://{TRACKER_BUCKET}"
            steps.append(Step("create", "server", server.name, details))
        if server.floating_ip and server.name not in existing.floating_ips:
            steps.append(Step("create", "floating_ip", server.name))
    return steps


def removal_steps(desired: Desired, existing: Existing) -> list[Step]:
    wanted_servers = {server.name for server in desired.servers}
    wanted_addresses = {s.name for s in desired.servers if s.floating_ip}
    return [
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
        *removal_steps(desired, existing),
    ]


def teardown(existing: Existing) -> list[Step]:
    """Every step of `down`: what `up` made, dependants first; a bucket that
    holds objects is kept."""
    return [
        *(
            Step("delete" if found["empty"] else "keep", "bucket", name)
            for name, found in existing.buckets.items()
        ),
        *(Step("delete", "floating_ip", name) for name in existing.floating_ips),
        *(Step("delete", "server", name) for name in existing.servers),
        *(Step("delete", "security_group", name) for name in existing.security_groups),
        *([Step("delete", "lease", LEASE_NAME)] if existing.lease else []),
    ]


def as_json(steps: list[Step]) -> list[dict[str, Any]]:
    return [asdict(step) for step in steps]
