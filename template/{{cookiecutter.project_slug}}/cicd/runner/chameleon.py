"""The Chameleon calls: the only module that imports python-chi, and only when called.

python-chi provides the authenticated OpenStack clients (from the OS_* variables
of an application credential) and name lookups; leases are made with its Blazar
client directly, because its older helpers (`chi.lease.wait_for_active`,
`get_node_reservation`) index the Lease objects its 1.x `get_lease` returns as
dicts and fail. credentials.chameleon() checks the variables first, so a missing
one is named before any request is made.
"""

import json
import time
from collections.abc import Callable

from . import credentials, settings
from .stale import Resource, parse_time

# Bare-metal leases usually start within a minute; Blazar may need longer.
LEASE_WAIT_SECONDS = 600
LEASE_POLL_SECONDS = 10


class ChameleonError(Exception):
    pass


def connect():
    """python-chi, set to this project's site, after checking the credentials."""
    credentials.chameleon()
    chi = imported_chi()
    chi.set("region_name", settings.SITE)
    return chi


def imported_chi():
    """python-chi, or a message saying how to get it."""
    try:
        import chi
        import chi.image
        import chi.network
        import chi.server
    except ImportError as error:
        raise ChameleonError(
            f"python-chi is not installed ({error}); run this through"
            " `nox -s runner -- ...`, which installs cicd/runner/requirements.txt"
        ) from None
    return chi


def wait_until_active(
    fetch: Callable[[], dict],
    timeout: float = LEASE_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict:
    """Poll a lease (Blazar's JSON) until ACTIVE; fail on ERROR or timeout."""
    deadline = clock() + timeout
    while True:
        lease = fetch()
        status = lease.get("status")
        if status == "ACTIVE":
            return lease
        if status == "ERROR" or clock() >= deadline:
            raise ChameleonError(
                f"lease {lease.get('name')} is {status} after {timeout:.0f} s;"
                " `nox -s runner -- down` removes it"
            )
        sleep(LEASE_POLL_SECONDS)


def reservations_of(lease: dict) -> list[dict]:
    reservations = lease.get("reservations", [])
    if isinstance(reservations, str):  # some Blazar versions nest it as JSON text
        reservations = json.loads(reservations)
    return reservations


def node_reservation_id(lease: dict) -> str:
    """The id of the lease's one bare-metal reservation (what servers launch on)."""
    reservations = reservations_of(lease)
    hosts = [r for r in reservations if r.get("resource_type") == "physical:host"]
    if len(hosts) != 1:
        raise ChameleonError(
            f"lease {lease.get('name')} has {len(hosts)} node reservations, not 1"
        )
    return hosts[0]["id"]


def create_lease(chi, lease: dict) -> dict:
    blazar = chi.blazar()
    created = blazar.lease.create(
        name=lease["name"],
        start=lease["start_date"],
        end=lease["end_date"],
        reservations=lease["reservations"],
        events=[],
    )
    try:
        return wait_until_active(lambda: blazar.lease.get(created["id"]))
    except BaseException:
        blazar.lease.delete(created["id"])
        raise


def blazar_url(chi) -> str:
    return chi.session().get_endpoint(service_type="reservation", interface="public")


def create_server(chi, spec: dict, reservation_id: str, user_data: str):
    return chi.nova().servers.create(
        name=spec["name"],
        image=chi.image.get_image_id(spec["image"]),
        flavor=chi.server.get_flavor_id(spec["flavor"]),
        nics=[{"net-id": chi.network.get_network_id(spec["network"])}],
        scheduler_hints={"reservation": reservation_id},
        key_name=spec["key_name"],
        userdata=user_data,
    )


def leases(chi) -> list[Resource]:
    return [
        Resource("lease", lease["id"], lease["name"], parse_time(lease["created_at"]))
        for lease in chi.blazar().lease.list()
    ]


def servers(chi) -> list[Resource]:
    found = chi.nova().servers.list(search_opts={"name": f"^{settings.NAME_PREFIX}-"})
    return [
        Resource("server", server.id, server.name, parse_time(server.created))
        for server in found
    ]


def delete(chi, resource: Resource) -> None:
    if resource.kind == "server":
        chi.nova().servers.delete(resource.id)
    elif resource.kind == "lease":
        chi.blazar().lease.delete(resource.id)
    else:
        raise ValueError(f"not a Chameleon resource: {resource}")
