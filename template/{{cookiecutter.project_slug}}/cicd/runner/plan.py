"""What one GPU run asks Chameleon and GitHub for, as plain data.

`plan` prints this; `up` passes these very values to python-chi and GitHub, so
the dry run shows exactly the requests a real run makes.
"""

import json
from datetime import UTC, datetime, timedelta

from . import credentials, settings
from .github import registration_request
from .userdata import NodeSettings, cloud_config

# Blazar's date format (minutes; UTC).
BLAZAR_TIME_FORMAT = "%Y-%m-%d %H:%M"


def node_lease_request(
    name: str, site: str, node_type: str, nodes: int, end: datetime
) -> dict:
    """A Blazar lease of ``nodes`` bare-metal nodes of ``node_type``, from now.

    "now": Blazar starts the lease when it is made, so a slow `up` can never ask
    for a start in the past; the end is fixed by the caller.
    """
    return {
        "name": name,
        "site": site,
        "start_date": "now",
        "end_date": end.strftime(BLAZAR_TIME_FORMAT),
        "reservations": [
            {
                "resource_type": "physical:host",
                "resource_properties": json.dumps(["==", "$node_type", node_type]),
                "hypervisor_properties": "",
                "min": nodes,
                "max": nodes,
            }
        ],
    }


def lease_request(label: str, hours: int, now: datetime) -> dict:
    end = now + timedelta(hours=hours)  # fixed from the time of the plan
    return node_lease_request(label, settings.SITE, settings.GPU_NODE_TYPE, 1, end)


def lease_end(lease: dict) -> datetime:
    return datetime.strptime(lease["end_date"], BLAZAR_TIME_FORMAT).replace(tzinfo=UTC)


def server_spec(label: str) -> dict:
    return {
        "name": label,
        "image": settings.IMAGE,
        "flavor": settings.FLAVOR,
        "network": settings.NETWORK,
        "reservation_id": "<the lease's node reservation>",
        "key_name": None,  # no SSH key: nobody logs in; read logs as docs say
    }


def node_settings(label: str, lease: dict, release=None) -> NodeSettings:
    deadline = lease_end(lease) - timedelta(minutes=settings.DEADLINE_MARGIN_MINUTES)
    return NodeSettings(
        label=label,
        idle_minutes=settings.IDLE_MINUTES,
        deadline_epoch=int(deadline.timestamp()),
        release=release,
    )


def make_plan(run_id: str, hours: int | None, now: datetime | None = None) -> dict:
    label = settings.run_label(run_id)
    lease = lease_request(label, settings.lease_hours(hours), now or datetime.now(UTC))
    return {
        "project_id": settings.PROJECT_ID,
        "repository": settings.repository(),
        "label": label,
        "lease": lease,
        "server": server_spec(label),
        "runner_registration": {
            "endpoint": f"POST /repos/{settings.repository()}"
            "/actions/runners/generate-jitconfig",
            "body": registration_request(label, [label]),
        },
        "user_data": cloud_config(node_settings(label, lease)),
        "node_release": (
            "deletes its own lease, then powers off"
            if credentials.release_credential()
            else "powers off; the lease ends at its end date"
        ),
        "credentials": credentials.presence(),
    }
