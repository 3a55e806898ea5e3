"""The model every room trains, evaluates and serves, whatever the task kind.

The kind builds the network (``problem.build_model``); this module keeps what
is the same for every kind: the checkpoint (weights, architecture and the
fitted spec together, so serving needs nothing else), the loss, and turning the
network's raw output into probabilities or values in the target's units.
"""

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import problem
from .spec import Spec

CHECKPOINT_FORMAT = 2


def loss_function(spec: Spec) -> nn.Module:
    """Cross entropy over class logits, or mean squared error of a scaled value."""
    return nn.CrossEntropyLoss() if spec.classification else nn.MSELoss()


def target_tensor(spec: Spec, targets: list[Any]) -> torch.Tensor:
    """Encoded targets (`problem.encode_target`) as the loss expects them."""
    encoded = [problem.encode_target(spec, target) for target in targets]
    if spec.classification:
        return torch.tensor(encoded, dtype=torch.long)
    return torch.tensor(encoded, dtype=torch.float32)


def scaled_outputs(spec: Spec, outputs: torch.Tensor) -> torch.Tensor:
    """What the loss compares with the targets: logits, or one value per row."""
    return outputs if spec.classification else outputs.reshape(-1)


def predict(spec: Spec, model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """Class probabilities (batch, classes) or values in the target's units (batch,)."""
    with torch.inference_mode():
        return from_outputs(spec, model(batch))


def from_outputs(spec: Spec, outputs: torch.Tensor) -> torch.Tensor:
    """Raw network output -> probabilities or unscaled values (also for exports)."""
    if spec.classification:
        return torch.softmax(outputs, dim=1)
    mean = float(spec.fitted.get("target_mean", 0.0))
    scale = float(spec.fitted.get("target_scale", 1.0))
    return outputs.reshape(-1) * scale + mean


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    spec: Spec,
    arch: str,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the weights with what rebuilds the model (arch, fitted spec), atomically.

    Pass the plain module, not the result of ``torch.compile`` (its state dict
    keys carry a prefix that `load_checkpoint` would not recognise).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "task": spec.task,
        "arch": arch,
        "spec": spec.to_json(),
        "state_dict": {key: value.cpu() for key, value in model.state_dict().items()},
        "extra": extra or {},
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
    return path


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[nn.Module, Spec, dict[str, Any]]:
    """Rebuild a model from `save_checkpoint` output, in eval mode.

    Returns the model, its fitted spec and the rest of the checkpoint's
    metadata (everything but the weights).
    """
    payload = torch.load(Path(path), map_location=map_location, weights_only=True)
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(
            f"{path}: unsupported checkpoint format {payload.get('format')} "
            f"(this code reads format {CHECKPOINT_FORMAT}); train again"
        )
    if payload.get("task") != problem.TASK:
        raise ValueError(
            f"{path}: a {payload.get('task')} model, but this project's task is "
            f"{problem.TASK}"
        )
    spec = Spec.from_json(payload["spec"])
    model = problem.build_model(spec, payload["arch"])
    model.load_state_dict(payload["state_dict"])
    model.eval()
    metadata = {key: value for key, value in payload.items() if key != "state_dict"}
    return model, spec, metadata
