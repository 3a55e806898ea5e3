"""The user-data of an infra VM: its cloud_init/ file, and for the CI runner VM
(`github_runner: true` in resources.yml) the files that register it.

The runner's scripts are the GPU nodes' installer (cicd/runner/node/) and
cicd/infra/node/register-runner.sh, both checked by shellcheck; the registration
token is the only secret, and a plan shows a placeholder instead.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..runner.credentials import Secret
from ..runner.github import RunnerRelease
from ..runner.userdata import PLACEHOLDER, env_file

RUNNER_NODE = Path(__file__).resolve().parent.parent / "runner" / "node"
INFRA_NODE = Path(__file__).resolve().parent / "node"


@dataclass(frozen=True)
class CiRunner:
    name: str  # the VM's, and the runner's on GitHub
    labels: str  # comma-separated, beside self-hosted, linux and x64
    repository_url: str
    release: RunnerRelease


def runner_files(runner: CiRunner, token: Secret | None) -> list[dict[str, str]]:
    environment = {
        "RUNNER_URL": runner.release.url,
        "RUNNER_SHA256": runner.release.sha256,
        "REPOSITORY_URL": runner.repository_url,
        "RUNNER_NAME": runner.name,
        "RUNNER_LABELS": runner.labels,
    }
    return [
        {
            "path": "/opt/ci-runner/install-runner.sh",
            "permissions": "0755",
            "content": (RUNNER_NODE / "install-runner.sh").read_text(),
        },
        {
            "path": "/opt/ci-runner/register-runner.sh",
            "permissions": "0755",
            "content": (INFRA_NODE / "register-runner.sh").read_text(),
        },
        {
            "path": "/etc/ci-runner/runner.env",
            "permissions": "0644",
            "content": env_file(environment),
        },
        {
            "path": "/etc/ci-runner/registration-token",
            "permissions": "0600",
            "content": token.value if token else PLACEHOLDER,
        },
    ]


def user_data(base: str, runner: CiRunner | None, token: Secret | None) -> str:
    """``base`` (a cloud_init/ file), with the runner's files and start if any."""
    if runner is None:
        return base
    document = yaml.safe_load(base) or {}
    document.setdefault("write_files", []).extend(runner_files(runner, token))
    document.setdefault("runcmd", []).append(["/opt/ci-runner/register-runner.sh"])
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=100)
