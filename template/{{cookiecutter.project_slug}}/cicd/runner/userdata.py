"""The cloud-init user-data that turns a fresh CUDA node into a one-job runner.

The node's own scripts live in cicd/runner/node/ (checked by shellcheck); this
module packs them, the runner settings and the secrets into one #cloud-config
document. Without secrets (the `plan` command) every secret is a placeholder.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .credentials import Secret
from .github import RunnerRelease

NODE_FILES = Path(__file__).resolve().parent / "node"
SCRIPTS = (
    "start-runner.sh",
    "install-runner.sh",
    "idle-watchdog.sh",
    "release-node.sh",
)
UNITS = ("gpu-runner.service", "gpu-runner-idle.service", "gpu-runner-idle.timer")
PLACEHOLDER = "<secret: filled in by `up`, never shown>"
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:/@-]*")


@dataclass(frozen=True)
class NodeSettings:
    label: str
    idle_minutes: int
    deadline_epoch: int
    release: RunnerRelease | None  # None in a plan: `up` asks GitHub for it


@dataclass(frozen=True)
class ReleaseTarget:
    """What the node needs to delete its own lease (see release-node.sh)."""

    auth_url: str
    blazar_url: str
    lease_id: str
    credential_id: Secret
    credential_secret: Secret


def env_file(values: dict[str, str | int]) -> str:
    """KEY=value lines that bash can `source`; values are checked, not quoted."""
    lines = []
    for key, value in values.items():
        text = str(value)
        if not _SAFE_VALUE.fullmatch(text):
            raise ValueError(f"{key}={text!r} is not safe in a shell env file")
        lines.append(f"{key}={text}")
    return "\n".join(lines) + "\n"


def runner_env(node: NodeSettings) -> dict[str, str | int]:
    release = node.release
    return {
        "RUNNER_LABEL": node.label,
        "RUNNER_URL": release.url if release else "resolved-by-up",
        "RUNNER_SHA256": release.sha256 if release else "resolved-by-up",
        "IDLE_MINUTES": node.idle_minutes,
        "DEADLINE_EPOCH": node.deadline_epoch,
    }


def release_env(target: ReleaseTarget, reveal: bool) -> str:
    def shown(secret: Secret) -> str:
        return secret.value if reveal else "masked"

    return env_file(
        {
            "OS_AUTH_URL": target.auth_url,
            "BLAZAR_URL": target.blazar_url,
            "LEASE_ID": target.lease_id,
            "RELEASE_CREDENTIAL_ID": shown(target.credential_id),
            "RELEASE_CREDENTIAL_SECRET": shown(target.credential_secret),
        }
    )


def cloud_config(
    node: NodeSettings,
    jit_config: Secret | None = None,
    release_target: ReleaseTarget | None = None,
) -> str:
    """The user-data; secrets appear only when given, else as placeholders."""
    files = [
        {
            "path": f"/opt/gpu-runner/{name}",
            "permissions": "0755",
            "content": (NODE_FILES / name).read_text(),
        }
        for name in SCRIPTS
    ]
    files += [
        {
            "path": f"/etc/systemd/system/{name}",
            "permissions": "0644",
            "content": (NODE_FILES / name).read_text(),
        }
        for name in UNITS
    ]
    files.append(
        {
            "path": "/etc/gpu-runner/runner.env",
            "permissions": "0644",
            "content": env_file(runner_env(node)),
        }
    )
    files.append(
        {
            "path": "/etc/gpu-runner/jitconfig",
            "permissions": "0600",
            "content": jit_config.value if jit_config else PLACEHOLDER,
        }
    )
    if release_target:
        files.append(
            {
                "path": "/etc/gpu-runner/release.env",
                "permissions": "0600",
                "content": release_env(release_target, reveal=jit_config is not None),
            }
        )
    document = {
        "package_update": False,
        "write_files": files,
        "runcmd": [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", "gpu-runner-idle.timer"],
            ["systemctl", "start", "gpu-runner.service"],
        ],
    }
    body = yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, width=100)
    return "#cloud-config\n" + body


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` blocks, so the user-data reads like files."""


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _string)
