"""The Ansible inventory of the VMs `up` made (`nox -s infra -- inventory`), for
`nox -s infra -- configure` (cicd/infra/ansible/site.yml).

Groups: `infra` (every VM), one per server of resources.yml (`platform`,
`ci_runner`, ...), and one per function: `github_runners`. A VM with a floating
IP is reached at it; one without, through the first VM that has one (SSH
ProxyJump), as `cc`, the login Chameleon's VMs are made with.
"""

from typing import Any

from .desired import PROJECT_ID, Desired
from .plan import Existing

SSH_USER = "cc"


def group_name(server_name: str) -> str:
    """`proj01-ci-runner` -> `ci_runner`: Ansible group names take no hyphens."""
    return server_name.removeprefix(f"{PROJECT_ID}-").replace("-", "_")


def inventory(desired: Desired, found: Existing) -> dict[str, Any]:
    made = [server for server in desired.servers if server.name in found.servers]
    public = {
        server.name: found.floating_ips[server.name]["address"]
        for server in made
        if server.name in found.floating_ips
    }
    gateway = next(iter(public.values()), None)
    hosts: dict[str, dict[str, Any]] = {}
    for server in made:
        if server.name in public:
            hosts[server.name] = {"ansible_host": public[server.name]}
            continue
        host = {"ansible_host": found.servers[server.name].get("address")}
        if gateway:
            host["ansible_ssh_common_args"] = f"-o ProxyJump={SSH_USER}@{gateway}"
        hosts[server.name] = host
    groups: dict[str, Any] = {
        "infra": {"hosts": hosts, "vars": {"ansible_user": SSH_USER}},
        "github_runners": {"hosts": {s.name: {} for s in made if s.github_runner}},
    }
    for server in made:
        groups[group_name(server.name)] = {"hosts": {server.name: {}}}
    return groups
