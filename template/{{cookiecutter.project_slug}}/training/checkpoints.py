"""Seeding, and the resumable training state written after every epoch.

``checkpoint-last.pt`` holds everything the next epoch depends on: weights,
optimizer, learning-rate schedule, loss scaler, every random generator and the
data loader's shuffling generator. A run resumed from it therefore ends with
the same weights as one that was never interrupted (bit for bit on a CPU; CUDA
kernels are not all deterministic).

This is not the model serving uses: that is `paths.latest_model_path()`,
written once at the end by the shared `save_checkpoint`.
"""

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from {{ cookiecutter.package_name }} import paths

TRAINING_STATE_FORMAT = 1

# Keys that may differ between an interrupted run and its resumption: where and
# how fast it runs, not what it computes.
RUNTIME_KEYS = frozenset(
    {"resume", "device", "num_workers", "compile", "amp", "quality_bar", "tracking"}
)


class ResumeError(RuntimeError):
    """There is nothing to resume, or it does not match this configuration."""


def last_checkpoint_path() -> Path:
    return paths.models_dir() / "checkpoint-last.pt"


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def rng_states(loader_generator: torch.Generator) -> dict[str, Any]:
    version, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        # As plain lists: checkpoints are read back with torch.load(weights_only=True).
        "numpy": [version, keys.tolist(), position, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "loader": loader_generator.get_state(),
    }


def restore_rng_states(
    states: dict[str, Any], loader_generator: torch.Generator
) -> None:
    random.setstate(states["python"])
    version, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state(
        (version, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached)
    )
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    loader_generator.set_state(states["loader"])


def save_training_state(path: Path, state: dict[str, Any]) -> Path:
    """Write atomically: an interruption mid-write leaves the previous state."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save({"format": TRAINING_STATE_FORMAT, **state}, partial)
    os.replace(partial, path)
    return path


def load_training_state(path: Path, config: dict[str, Any]) -> dict[str, Any]:
    """The saved state, if it was made with the same configuration as ``config``."""
    if not path.is_file():
        raise ResumeError(
            f"resume=true, but there is no checkpoint at {path}; "
            "train without resume=true first"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ResumeError(f"cannot read the checkpoint {path}: {error}") from None
    if not isinstance(state, dict) or state.get("format") != TRAINING_STATE_FORMAT:
        raise ResumeError(f"{path} is not a training checkpoint of this version")
    differing = [
        f"{key}={state['config'].get(key)!r} there, {value!r} here"
        for key, value in config.items()
        if key not in RUNTIME_KEYS and state["config"].get(key) != value
    ]
    if differing:
        raise ResumeError(
            f"the checkpoint {path} was trained with another configuration "
            f"({'; '.join(differing)}); resume with the same values, "
            "or start afresh with resume=false"
        )
    return state
