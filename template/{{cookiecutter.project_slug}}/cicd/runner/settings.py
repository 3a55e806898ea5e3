"""The team's runner settings, fixed when the project was generated.

Every cloud resource name starts with PROJECT_ID (a course rule), and no lease is
ever longer than MAX_LEASE_HOURS (the course caps GPU leases at about 6 hours).
"""

import os
import re

PROJECT_ID = "{{ cookiecutter.project_id }}"
SITE = "{{ cookiecutter.chameleon_site }}"
GPU_NODE_TYPE = "{{ cookiecutter.gpu_node_type }}"
MAX_LEASE_HOURS = {{ cookiecutter.lease_hours }}
DEFAULT_REPOSITORY = "{{ cookiecutter.github_owner }}/{{ cookiecutter.project_slug }}"
# Chameleon's CUDA image for bare-metal GPU nodes; AMD nodes need a ROCm image.
IMAGE = "CC-Ubuntu22.04-CUDA"
FLAVOR = "baremetal"
NETWORK = "sharednet1"
# The name prefix of everything this tool makes; gc never touches anything else.
NAME_PREFIX = f"{PROJECT_ID}-gpu-runner"
# A node whose runner has not started a job this long after boot releases itself.
IDLE_MINUTES = 20
# The node releases itself this long before its lease ends, to leave it cleanly.
DEADLINE_MARGIN_MINUTES = 10

_LABEL = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class InvalidRequest(ValueError):
    """A run id or lease length this project does not allow; says which and why."""


def run_label(run_id: str) -> str:
    """The per-run runner label (also the name of the lease, server and runner)."""
    label = f"{NAME_PREFIX}-{run_id}".lower()
    if not _LABEL.fullmatch(label):
        raise InvalidRequest(
            f"run id {run_id!r} gives the label {label!r}: use letters, digits and"
            " hyphens, at most 63 characters in all"
        )
    return label


def repository() -> str:
    """owner/name of the GitHub repository; Actions sets GITHUB_REPOSITORY."""
    return os.environ.get("GITHUB_REPOSITORY") or DEFAULT_REPOSITORY


def lease_hours(requested: int | None) -> int:
    """The lease length to ask for: the generated cap unless a shorter one is asked."""
    hours = MAX_LEASE_HOURS if requested is None else requested
    if not 1 <= hours <= MAX_LEASE_HOURS:
        raise InvalidRequest(
            f"--hours {hours} is outside 1..{MAX_LEASE_HOURS}: this project's GPU"
            f" leases last at most {MAX_LEASE_HOURS} hour(s) (lease_hours)"
        )
    return hours
