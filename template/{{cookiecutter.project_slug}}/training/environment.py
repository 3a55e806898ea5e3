"""What a run ran on and with, recorded by the tracker beside its config."""

import os
import platform
import socket
import subprocess
from typing import Any

import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.hardware import cpu_name


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=paths.REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip()


def environment(device: torch.device) -> dict[str, Any]:
    """The software, hardware and commit, so a result can be traced and repeated."""
    if device.type == "cuda":
        device_name = torch.cuda.get_device_name(device)
    else:
        device_name = cpu_name()
    status = _git("status", "--porcelain")
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": str(device),
        "device_name": device_name,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
    }


def tracking_off() -> bool:
    """TRACKING_MODE=off: record nothing, whichever tracker (tests, benchmarks,
    every process but the first of a distributed run)."""
    return os.environ.get("TRACKING_MODE", "").strip().lower() == "off"
