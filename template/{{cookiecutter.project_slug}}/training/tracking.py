"""Weights & Biases tracking: config, metrics, environment, cost and the model.

Mode: when ``WANDB_MODE`` is set, wandb reads it itself (online, offline or
disabled); no ``mode=`` is passed then, because an explicit argument would beat
the variable. Otherwise a run is offline when no API key is available (neither
``WANDB_API_KEY`` nor a ``wandb login`` entry in ~/.netrc), online when one is.
Offline runs are real runs on disk: upload them later with ``wandb sync``.
"""

import netrc
import os
import platform
import socket
import subprocess
import warnings
from pathlib import Path
from typing import Any

import torch
import wandb

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.hardware import cpu_name

from .config import TrainingConfig

MODEL_ARTIFACT_NAME = "model"


def has_api_key() -> bool:
    """True when wandb would find credentials: the variable or a netrc entry."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    host = host.split("://")[-1].split("/")[0].split(":")[0]
    netrc_path = os.environ.get("NETRC") or Path.home() / ".netrc"
    try:
        return netrc.netrc(netrc_path).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def chosen_mode() -> str | None:
    """The ``mode=`` to pass to wandb.init: None lets wandb decide (WANDB_MODE)."""
    if os.environ.get("WANDB_MODE"):
        return None
    return None if has_api_key() else "offline"


def wandb_dir() -> Path:
    """Where runs are written: $WANDB_DIR, else artifacts/ (never the source tree)."""
    directory = Path(os.environ.get("WANDB_DIR") or paths.artifacts_dir())
    directory.mkdir(parents=True, exist_ok=True)
    return directory


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
    """What the run ran on and with, so a result can be traced and repeated."""
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


class Tracker:
    """One W&B run of a training job."""

    def __init__(self, run: Any) -> None:
        self.run = run

    @classmethod
    def start(cls, config: TrainingConfig, env: dict[str, Any]) -> "Tracker":
        # The config's tags, plus the architecture, so runs filter by model.
        tags = list(dict.fromkeys([*config.wandb.tags, config.arch]))
        options = {
            "project": config.wandb.project,
            "entity": config.wandb.entity,
            "tags": tags,
            "job_type": "training",
            "config": {**config.to_dict(), "environment": env},
            "dir": str(wandb_dir()),
        }
        mode = chosen_mode()
        try:
            run = wandb.init(**options, **({"mode": mode} if mode else {}))
        except Exception as error:
            if mode == "offline":
                raise
            # Online but unreachable (no network on the node, a wrong key):
            # keep the run locally instead of losing the training job.
            warnings.warn(
                f"W&B could not start online ({error}); writing the run offline",
                RuntimeWarning,
                stacklevel=2,
            )
            run = wandb.init(**options, mode="offline")
        return cls(run)

    @property
    def mode(self) -> str:
        return str(self.run.settings.mode)

    @property
    def run_id(self) -> str:
        return str(self.run.id)

    @property
    def run_dir(self) -> str | None:
        """The run's local directory (what `wandb sync` takes); None if disabled."""
        return None if self.mode == "disabled" else str(self.run.settings.sync_dir)

    def log_epoch(self, epoch: int, metrics: dict[str, Any]) -> None:
        self.run.log({"epoch": epoch, **metrics}, step=epoch)

    def summarize(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            self.run.summary[key] = value

    def log_model(self, path: Path, metadata: dict[str, Any]) -> None:
        """The trained checkpoint as a versioned ``model`` artifact of this run."""
        artifact = wandb.Artifact(
            MODEL_ARTIFACT_NAME,
            type="model",
            description="the trained model with its fitted problem spec "
            "(the shared save_checkpoint format)",
            metadata=metadata,
        )
        artifact.add_file(str(path), name=path.name)
        self.run.log_artifact(artifact)

    def finish(self, exit_code: int = 0) -> None:
        self.run.finish(exit_code=exit_code)
        # finish() can return before wandb's service has flushed the run file
        # (seen on a busy 2-core machine); shutting the service down waits for
        # it, so the run on disk is complete when training reports it.
        wandb.teardown()
        if self.mode == "offline":
            print(
                f"W&B run {self.run_id} was written offline to {self.run_dir}\n"
                f"  upload it with: wandb sync {self.run_dir}"
            )
