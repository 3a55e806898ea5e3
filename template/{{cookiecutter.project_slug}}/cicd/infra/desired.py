"""cicd/infra/resources.yml as data: what the cloud should hold, by name.

Names carry the project id (a course rule), so `down` and the plan can tell
this project's resources from everyone else's; a refused file says which key is
wrong before anything is asked of the cloud.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ID = "{{ cookiecutter.project_id }}"
HERE = Path(__file__).resolve().parent
RESOURCES_FILE = HERE / "resources.yml"
CLOUD_INIT_DIR = HERE / "cloud_init"
# The mark on everything `up` makes (server metadata, descriptions): `down` and the
# plan's deletions touch nothing without it.
MANAGED_BY = f"{PROJECT_ID}-infra"
LEASE_NAME = f"{PROJECT_ID}-infra"
# Every bare-metal lease of the file is named with this in front: how `down` and
# the plan find them among the site's leases (the GPU runner's are
# `<project_id>-gpu-runner-...`, and never match).
BARE_METAL_PREFIX = f"{PROJECT_ID}-metal-"
MAX_DAYS = 7
BARE_METAL_KEYS = {"site", "node_type", "nodes", "days"}
NAME_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789-")
SERVER_KEYS = {
    "os_image",
    "security_groups",
    "floating_ip",
    "cloud_init",
    "github_runner",
}
# The label every CI job of this project asks for (copier's ci_runs_on).
CI_LABEL = f"{PROJECT_ID}-ci"
# The repository variable every CI job's `if:` reads: set once the file's runner VM
# is made, so that jobs are skipped, not left queued, while no runner exists.
RUNNER_READY_VARIABLE = "CI_RUNNER_READY"


class InfraFileError(ValueError):
    """resources.yml cannot be used; the message names the key and the problem."""


@dataclass(frozen=True)
class Server:
    name: str
    os_image: str
    security_groups: tuple[str, ...]
    floating_ip: bool
    cloud_init: str  # the file's name in cloud_init/
    github_runner: bool = False  # registered as the repository's CI runner


@dataclass(frozen=True)
class BareMetalLease:
    """Nodes of one type reserved at a bare-metal site for some days."""

    name: str  # <project_id>-metal-<its key in the file>
    site: str
    node_type: str
    nodes: int
    days: int


@dataclass(frozen=True)
class Desired:
    site: str
    flavor: str
    instances: int
    days: int
    security_groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
    servers: tuple[Server, ...] = ()
    buckets: tuple[str, ...] = ()  # full names: <project_id>-<name>
    bare_metal: tuple[BareMetalLease, ...] = ()

    def sites(self) -> list[str]:
        """The site of the VMs first, then each other site a lease is at."""
        others = [lease.site for lease in self.bare_metal if lease.site != self.site]
        return [self.site, *dict.fromkeys(others)]

    def user_data(self, server: Server) -> str:
        return (CLOUD_INIT_DIR / server.cloud_init).read_text()


def named(name: str) -> str:
    return f"{PROJECT_ID}-{name}"


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InfraFileError(f"{where} must be a mapping")
    return value


def _whole(value: Any, where: str, low: int, high: int) -> int:
    whole = isinstance(value, int) and not isinstance(value, bool)
    if not whole or not low <= value <= high:
        raise InfraFileError(f"{where} must be a whole number from {low} to {high}")
    return value


def _server(name: str, spec: Any, groups: dict[str, Any]) -> Server:
    spec = _mapping(spec, f"servers.{name}")
    if spec.get("mlflow_server"):
        raise InfraFileError(
            f"servers.{name}: mlflow_server is gone: the MLflow server runs on the "
            "platform VM's cluster now (cicd/docs/kubernetes.md, 'MLflow'); back up "
            "its database, then remove this server from the file"
        )
    unknown = set(spec) - SERVER_KEYS
    if unknown:
        raise InfraFileError(f"servers.{name}: unknown key(s) {sorted(unknown)}")
    wanted = tuple(spec.get("security_groups", ()))
    missing = [group for group in wanted if group not in groups]
    if missing:
        raise InfraFileError(f"servers.{name}: no security group(s) {missing}")
    cloud_init = str(spec.get("cloud_init", "base.yaml"))
    if not (CLOUD_INIT_DIR / cloud_init).is_file() or "/" in cloud_init:
        raise InfraFileError(f"servers.{name}: no cloud_init/{cloud_init}")
    if not spec.get("os_image"):
        raise InfraFileError(f"servers.{name}: os_image must name the image to boot")
    return Server(
        named(name),
        str(spec["os_image"]),
        tuple(named(group) for group in wanted),
        bool(spec.get("floating_ip", False)),
        cloud_init,
        bool(spec.get("github_runner", False)),
    )


def _buckets(value: Any) -> tuple[str, ...]:
    """`buckets: [data, ...]`: S3 names take lowercase letters, digits and hyphens."""
    if not isinstance(value, list):
        raise InfraFileError("buckets must be a list of names")
    for name in value:
        if not isinstance(name, str) or not name or set(name) - NAME_CHARACTERS:
            raise InfraFileError(
                f"buckets: {name!r} must be lowercase letters, digits and hyphens"
            )
    full = tuple(named(name) for name in value)
    for name in full:
        if len(name) > 63:  # S3's limit on a bucket name
            raise InfraFileError(f"buckets: {name!r} is longer than 63 characters")
    return full


def _bare_metal(name: str, spec: Any) -> BareMetalLease:
    where = f"bare_metal.{name}"
    if not isinstance(name, str) or not name or set(name) - NAME_CHARACTERS:
        raise InfraFileError(f"{where}: use lowercase letters, digits and hyphens")
    spec = _mapping(spec, where)
    unknown = set(spec) - BARE_METAL_KEYS
    if unknown:
        raise InfraFileError(f"{where}: unknown key(s) {sorted(unknown)}")
    if not spec.get("site") or not spec.get("node_type"):
        raise InfraFileError(f"{where}: site and node_type must be named")
    return BareMetalLease(
        f"{BARE_METAL_PREFIX}{name}",
        str(spec["site"]),
        str(spec["node_type"]),
        _whole(spec.get("nodes", 1), f"{where}.nodes", 1, 20),
        _whole(spec.get("days"), f"{where}.days", 1, MAX_DAYS),
    )


def parse(document: Any) -> Desired:
    """The desired state a resources.yml document describes; `InfraFileError` if not."""
    document = _mapping(document, "resources.yml")
    reservation = _mapping(document.get("reservation"), "reservation")
    groups = _mapping(document.get("security_groups") or {}, "security_groups")
    ports = {
        named(name): tuple(
            _whole(port, f"security_groups.{name}", 1, 65535) for port in listed or ()
        )
        for name, listed in groups.items()
    }
    servers = _mapping(document.get("servers") or {}, "servers")
    desired = Desired(
        site=str(document.get("site") or ""),
        flavor=str(reservation.get("flavor") or ""),
        instances=_whole(reservation.get("instances"), "reservation.instances", 1, 20),
        days=_whole(reservation.get("days"), "reservation.days", 1, MAX_DAYS),
        security_groups=ports,
        servers=tuple(_server(name, spec, groups) for name, spec in servers.items()),
        buckets=_buckets(document.get("buckets") or []),
        bare_metal=tuple(
            _bare_metal(name, spec)
            for name, spec in _mapping(
                document.get("bare_metal") or {}, "bare_metal"
            ).items()
        ),
    )
    if not desired.site or not desired.flavor:
        raise InfraFileError("site and reservation.flavor must be named")
    if len(desired.servers) > desired.instances:
        raise InfraFileError(
            f"{len(desired.servers)} servers need reservation.instances of at least "
            f"{len(desired.servers)}, not {desired.instances}"
        )
    return desired


def load(path: Path = RESOURCES_FILE) -> Desired:
    try:
        return parse(yaml.safe_load(path.read_text()))
    except yaml.YAMLError as error:
        raise InfraFileError(f"{path} is not YAML: {error}") from None
