"""The infra steps as Chameleon calls, through python-chi's OpenStack clients.

Only this module talks to the cloud. It finds this project's resources by the
mark `up` leaves on them (`desired.MANAGED_BY`: server metadata, descriptions,
the leases' names), so `down` never touches the GPU runner's nodes or anyone
else's resources. Each site has its own Keystone, so each is signed in to with
its own application credential (credentials.site_variables).
"""

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ..runner import chameleon, credentials, settings
from ..runner.chameleon import ChameleonError, imported_chi, wait_until_active
from ..runner.github import GitHub
from ..runner.plan import node_lease_request
from . import buckets, userdata
from .desired import (
    BARE_METAL_PREFIX,
    CI_LABEL,
    LEASE_NAME,
    MANAGED_BY,
    RUNNER_READY_VARIABLE,
    Desired,
    Server,
)
from .plan import Existing, Step, ended

BLAZAR_TIME_FORMAT = "%Y-%m-%d %H:%M"
NETWORK = "sharednet1"
PUBLIC_NETWORK = "public"
SERVER_WAIT_SECONDS = 900
SERVER_POLL_SECONDS = 10


_signed_in_to: list[str] = []  # the site python-chi's (global) context is set to


def connect_to(site: str, home_site: str):
    """python-chi, signed in to ``site`` with that site's credential."""
    found = credentials.chameleon_at(site, home_site)
    chi = imported_chi()
    if _signed_in_to != [site]:  # each set() drops the session: only on a change
        chi.set("auth_type", "v3applicationcredential")
        chi.set("auth_url", found["OS_AUTH_URL"])
        chi.set("application_credential_id", found["OS_APPLICATION_CREDENTIAL_ID"])
        secret = found["OS_APPLICATION_CREDENTIAL_SECRET"]
        chi.set("application_credential_secret", secret)
        chi.set("region_name", site)
        _signed_in_to[:] = [site]
    return chi


def group_ports(group: dict[str, Any]) -> list[int]:
    return sorted(
        rule["port_range_min"]
        for rule in group.get("security_group_rules", [])
        if rule.get("direction") == "ingress" and rule.get("port_range_min")
    )


def fixed_address(server) -> str | None:
    """The server's address on its network (Nova's `addresses`), if it has one."""
    for network in (getattr(server, "addresses", None) or {}).values():
        for address in network:
            if address.get("OS-EXT-IPS:type", "fixed") == "fixed":
                return address.get("addr")
    return None


def existing(desired: Desired, sites: list[str] | None = None) -> Existing:
    """This project's infra resources at ``sites`` (all the file's), as `plan`
    compares them."""
    found = Existing()
    for site in desired.sites() if sites is None else sites:
        chi = connect_to(site, desired.site)
        for lease in chi.blazar().lease.list():
            if lease["name"] == LEASE_NAME and site == desired.site:
                if found.lease is None or ended(found.lease):  # the live one wins
                    found.lease = lease
            elif lease["name"].startswith(BARE_METAL_PREFIX):
                found.bare_metal_leases[lease["name"]] = {
                    "id": lease["id"],
                    "site": site,
                    "status": lease.get("status"),
                    # What a server is launched on (`--hint reservation=`).
                    "reservation_ids": [
                        r["id"] for r in chameleon.reservations_of(lease)
                    ],
                }
        if site == desired.site:
            at_home_site(chi, found)
    return found


def at_home_site(chi, found: Existing) -> None:
    """The security groups, servers and floating IPs at the VMs' site."""
    neutron = chi.neutron()
    for group in neutron.list_security_groups()["security_groups"]:
        if group.get("description") == MANAGED_BY:
            found.security_groups[group["name"]] = {
                "id": group["id"],
                "ports": group_ports(group),
            }
    for server in chi.nova().servers.list():
        if (getattr(server, "metadata", None) or {}).get("managed-by") == MANAGED_BY:
            found.servers[server.name] = {
                "id": server.id,
                "status": server.status,
                "address": fixed_address(server),
            }
    for address in neutron.list_floatingips()["floatingips"]:
        owner = address.get("description", "")
        if owner.startswith(MANAGED_BY + ":"):
            found.floating_ips[owner.split(":", 1)[1]] = {
                "id": address["id"],
                "address": address["floating_ip_address"],
                "port_id": address.get("port_id"),
            }


def reservation_id(lease: dict[str, Any]) -> str:
    reservations = chameleon.reservations_of(lease)
    flavors = [r for r in reservations if r["resource_type"] == "flavor:instance"]
    if len(flavors) != 1:
        raise ChameleonError(f"lease {lease['name']} holds no flavor reservation")
    return flavors[0]["id"]


def create_lease(chi, desired: Desired) -> dict[str, Any]:
    flavor_id = chi.nova().flavors.find(name=desired.flavor).id
    end = datetime.now(UTC) + timedelta(days=desired.days)
    blazar = chi.blazar()
    created = blazar.lease.create(
        name=LEASE_NAME,
        start="now",
        end=end.strftime(BLAZAR_TIME_FORMAT),
        reservations=[
            {
                "resource_type": "flavor:instance",
                "flavor_id": flavor_id,
                "amount": desired.instances,
                "affinity": None,
            }
        ],
        events=[],
    )
    try:
        return wait_until_active(lambda: blazar.lease.get(created["id"]))
    except ChameleonError as error:
        raise ChameleonError(
            f"{error}; `nox -s infra -- up` tries again, `down` removes it"
        ) from None


def create_bare_metal_lease(chi, step: Step) -> None:
    end = datetime.now(UTC) + timedelta(days=step.details["days"])
    details = step.details
    request = node_lease_request(
        step.name, details["site"], details["node_type"], details["nodes"], end
    )
    chameleon.create_lease(chi, request)  # deleted again if it never starts


def create_group(chi, name: str, ports: list[int]) -> None:
    neutron = chi.neutron()
    body = {"security_group": {"name": name, "description": MANAGED_BY}}
    group = neutron.create_security_group(body)["security_group"]
    add_rules(neutron, group["id"], ports)


def add_rules(neutron, group_id: str, ports: list[int]) -> None:
    for port in ports:
        rule = {
            "security_group_id": group_id,
            "direction": "ingress",
            "ethertype": "IPv4",
            "protocol": "tcp",
            "port_range_min": port,
            "port_range_max": port,
            "remote_ip_prefix": "0.0.0.0/0",
        }
        neutron.create_security_group_rule({"security_group_rule": rule})


def update_group(chi, group: dict[str, Any], ports: list[int]) -> None:
    """Open the ports the file adds and close the ones it no longer lists."""
    neutron = chi.neutron()
    current = neutron.show_security_group(group["id"])["security_group"]
    for rule in current.get("security_group_rules", []):
        port = rule.get("port_range_min")
        if rule.get("direction") == "ingress" and port and port not in ports:
            neutron.delete_security_group_rule(rule["id"])
    add_rules(neutron, group["id"], sorted(set(ports) - set(group["ports"])))


def wait_for_server(nova, server_id: str) -> Any:
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    while True:
        server = nova.servers.get(server_id)
        if server.status == "ACTIVE":
            return server
        if server.status == "ERROR" or time.monotonic() > deadline:
            raise ChameleonError(
                f"server {server.name} is {server.status}; run `nox -s infra -- up` "
                "again to replace it, or `down`"
            )
        time.sleep(SERVER_POLL_SECONDS)


def server_user_data(desired: Desired, server: Server) -> str:
    """The server's cloud_init/ file; for the CI runner, with a fresh registration."""
    if not server.github_runner:
        return desired.user_data(server)
    github = GitHub(settings.repository(), credentials.github_token())
    site = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    runner = userdata.CiRunner(
        server.name,
        CI_LABEL,
        f"{site}/{settings.repository()}",
        github.runner_release(),
    )
    token = github.registration_token()
    return userdata.user_data(desired.user_data(server), runner, token)


def create_server(chi, desired: Desired, name: str, lease: dict[str, Any]) -> None:
    server = next(s for s in desired.servers if s.name == name)
    nova = chi.nova()
    created = nova.servers.create(
        name=name,
        image=chi.image.get_image_id(server.os_image),
        # A flavor reservation is booted as the flavor of the same id.
        flavor=reservation_id(lease),
        nics=[{"net-id": chi.network.get_network_id(NETWORK)}],
        security_groups=list(server.security_groups),
        userdata=server_user_data(desired, server),
        meta={"managed-by": MANAGED_BY},
    )
    wait_for_server(nova, created.id)


def create_floating_ip(chi, server_id: str, name: str) -> None:
    neutron = chi.neutron()
    ports = neutron.list_ports(device_id=server_id)["ports"]
    if not ports:
        raise ChameleonError(f"server {name} has no network port yet; run up again")
    public = chi.network.get_network_id(PUBLIC_NETWORK)
    body = {
        "floating_network_id": public,
        "port_id": ports[0]["id"],
        "description": f"{MANAGED_BY}:{name}",
    }
    neutron.create_floatingip({"floatingip": body})


def attach_floating_ip(chi, server_id: str, address: dict[str, Any]) -> None:
    """The address kept from a server that is gone, on its successor."""
    neutron = chi.neutron()
    ports = neutron.list_ports(device_id=server_id)["ports"]
    if not ports:
        raise ChameleonError("the new server has no network port yet; run up again")
    body = {"floatingip": {"port_id": ports[0]["id"]}}
    neutron.update_floatingip(address["id"], body)


def delete_server(nova, server_id: str) -> None:
    """Delete, then wait until it is gone: its security groups are in use until then."""
    from novaclient.exceptions import NotFound

    nova.servers.delete(server_id)
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            nova.servers.get(server_id)
        except NotFound:
            return
        time.sleep(SERVER_POLL_SECONDS)
    raise ChameleonError(f"server {server_id} is still there; run the command again")


def delete(chi, step: Step, found: Existing) -> None:
    """Delete what the step names, if it is still there (a lease that ended may
    have taken its servers with it)."""
    kinds = {
        "floating_ip": found.floating_ips,
        "server": found.servers,
        "security_group": found.security_groups,
        "bare_metal_lease": found.bare_metal_leases,
        "lease": {LEASE_NAME: found.lease} if found.lease else {},
    }
    gone = kinds[step.kind].get(step.name)
    if gone is None:
        return
    if step.kind == "floating_ip":
        chi.neutron().delete_floatingip(gone["id"])
    elif step.kind == "server":
        delete_server(chi.nova(), gone["id"])
    elif step.kind == "security_group":
        chi.neutron().delete_security_group(gone["id"])
    else:
        chi.blazar().lease.delete(gone["id"])


def delete_runner(step: Step) -> None:
    """The CI runner VM's registration, so no job waits for a machine that is gone."""
    github = GitHub(settings.repository(), credentials.github_token())
    for runner in github.runners():
        if runner["name"] == step.name and CI_LABEL in label_names(runner):
            github.delete_runner(runner["id"])


def label_names(runner: dict[str, Any]) -> list[str]:
    return [label["name"] for label in runner.get("labels", [])]


def registered_runners() -> dict[str, dict[str, Any]]:
    """The repository's runners with this project's CI label, by name."""
    github = GitHub(settings.repository(), credentials.github_token())
    return {
        runner["name"]: {"id": runner["id"], "status": runner.get("status")}
        for runner in github.runners()
        if CI_LABEL in label_names(runner)
    }


def repository_variables() -> dict[str, str]:
    """The repository variables `up` sets, those that exist: name -> value."""
    github = GitHub(settings.repository(), credentials.github_token())
    value = github.variable(RUNNER_READY_VARIABLE)
    return {} if value is None else {RUNNER_READY_VARIABLE: value}


def carry_out_variable(step: Step) -> None:
    github = GitHub(settings.repository(), credentials.github_token())
    if step.do == "delete":
        github.delete_variable(step.name)
    else:  # create or update: one call that does either
        github.set_variable(step.name, step.details["value"])


def carry_out_bucket(step: Step) -> None:
    """Create or delete a bucket, looking first: a rerun finds it made, and a
    bucket that received data since the plan is kept."""
    s3 = buckets.client()
    found = buckets.existing(s3, (step.name,)).get(step.name)
    if step.do == "create" and found is None:
        buckets.create(s3, step.name)
    elif step.do == "delete" and found is not None and found["empty"]:
        buckets.delete(s3, step.name)


def carry_out(desired: Desired, step: Step) -> None:
    """One step, against the cloud as it is now (so a rerun picks up where it was)."""
    if step.kind == "bucket":
        carry_out_bucket(step)  # a `keep` step changes nothing
        return
    if step.kind == "github_runner":
        delete_runner(step)  # the only step of that kind
        return
    if step.kind == "github_variable":
        carry_out_variable(step)
        return
    site = step.details.get("site", desired.site)
    found = existing(desired, [site])
    chi = connect_to(site, desired.site)
    if step.do == "delete":
        delete(chi, step, found)
    elif step.kind == "bare_metal_lease":
        create_bare_metal_lease(chi, step)
    elif step.kind == "lease":
        create_lease(chi, desired)
    elif step.kind == "security_group" and step.do == "create":
        create_group(chi, step.name, step.details["ports"])
    elif step.kind == "security_group":
        update_group(chi, found.security_groups[step.name], step.details["ports"])
    elif step.kind == "server":
        if found.lease is None:
            raise ChameleonError("no reservation to boot in: the lease step failed")
        create_server(chi, desired, step.name, found.lease)
    elif step.kind == "floating_ip" and step.do == "update":
        server_id = found.servers[step.name]["id"]
        attach_floating_ip(chi, server_id, found.floating_ips[step.name])
    elif step.kind == "floating_ip":
        create_floating_ip(chi, found.servers[step.name]["id"], step.name)
