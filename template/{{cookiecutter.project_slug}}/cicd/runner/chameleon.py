"""The python-chi calls: the only module that imports it, and only when called.

Authentication comes from the OS_* variables of an application credential,
which python-chi reads itself; credentials.chameleon() checks them first so a
missing one is named before any request is made.
"""

from . import credentials, settings
from .stale import Resource, parse_time


class ChameleonError(Exception):
    pass


def connect():
    """python-chi, set to this project's site, after checking the credentials."""
    credentials.chameleon()
    try:
        import chi
        import chi.lease
        import chi.network
        import chi.server
    except ImportError as error:
        raise ChameleonError(
            f"python-chi is not installed ({error}); run this through"
            " `nox -s runner -- ...`, which installs cicd/runner/requirements.txt"
        ) from None
    chi.set("region_name", settings.SITE)
    return chi


def create_lease(chi, lease: dict) -> dict:
    created = chi.lease.create_lease(
        lease["name"],
        lease["reservations"],
        start_date=lease["start_date"],
        end_date=lease["end_date"],
    )
    if not created:
        # python-chi logs Blazar's reason (e.g. no free node) and returns None.
        raise ChameleonError(
            f"Blazar refused the lease {lease['name']} at {settings.SITE}"
            f" for {settings.GPU_NODE_TYPE}; see the message above"
        )
    chi.lease.wait_for_active(created["id"])
    return created


def node_reservation_id(chi, lease_id: str) -> str:
    return chi.lease.get_node_reservation(lease_id)


def blazar_url(chi) -> str:
    return chi.session().get_endpoint(service_type="reservation", interface="public")


def create_server(chi, spec: dict, reservation_id: str, user_data: str):
    return chi.nova().servers.create(
        name=spec["name"],
        image=chi.server.get_image_id(spec["image"]),
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
