"""The user-data of an infra VM: its cloud_init/ file, plus for the CI runner VM
(`github_runner: true` in resources.yml) the files that register it.

The runner's scripts are the GPU nodes' installer (cicd/runner/node/) and
cicd/infra/node/register-runner.sh, checked by shellcheck. The registration
token is written to a root-only file, and a plan shows a placeholder instead.
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


def written(path: str, content: str, permissions: str = "0644") -> dict[str, str]:
    """One file cloud-init writes (``write_files``)."""
    return {"path": path, "permissions": permissions, "content": content}


def script(path: str, source: Path) -> dict[str, str]:
    """One of the repository's scripts, written executable on the VM."""
    return written(path, source.read_text(), "0755")


def runner_files(runner: CiRunner, token: Secret | None) -> list[dict[str, str]]:
    environment = {
        "RUNNER_URL": runner.release.url,
        "RUNNER_SHA256": runner.release.sha256,
        "REPOSITORY_URL": runner.repository_url,
        "RUNNER_NAME": runner.name,
        "RUNNER_LABELS": runner.labels,
    }
    return [
        script("/opt/ci-runner/install-runner.sh", RUNNER_NODE / "install-runner.sh"),
        script("/opt/ci-runner/register-runner.sh", INFRA_NODE / "register-runner.sh"),
        written("/etc/ci-runner/runner.env", env_file(environment)),
        written(
            "/etc/ci-runner/registration-token",
            token.value if token else PLACEHOLDER,
            "0600",
        ),
    ]


def extended(base: str, files: list[dict[str, str]], command: str) -> str:
    """``base`` (a cloud_init/ file) that also writes ``files`` and runs ``command``."""
    document = yaml.safe_load(base) or {}
    document.setdefault("write_files", []).extend(files)
    document.setdefault("runcmd", []).append([command])
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=100)


def user_data(base: str, runner: CiRunner | None, token: Secret | None) -> str:
    """``base`` (a cloud_init/ file), with the runner's files and start if any."""
    if runner is None:
        return base
    files = runner_files(runner, token)
    return extended(base, files, "/opt/ci-runner/register-runner.sh")
