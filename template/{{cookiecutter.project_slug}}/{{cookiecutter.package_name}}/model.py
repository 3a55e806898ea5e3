"""The classifier every room trains, evaluates and serves.

Two architectures share one checkpoint format:

- ``small_cnn``: a few-layer CNN that learns the synthetic dataset on a CPU in
  seconds; the default, so the whole pipeline runs anywhere.
- ``mobilenet_v2``: the course's model (ImageNet weights, dropout + linear head,
  224 px). It needs torchvision, which you install on real hardware.
"""

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .labels import LABELS, NUM_CLASSES

ARCHITECTURES: tuple[str, ...] = ("small_cnn", "mobilenet_v2")
DEFAULT_IMAGE_SIZE = {"small_cnn": 64, "mobilenet_v2": 224}
CHECKPOINT_FORMAT = 1


class SmallCNN(nn.Module):
    """Three conv blocks and a linear head: about 25k parameters."""

    def __init__(self, num_classes: int = NUM_CLASSES, dropout: float = 0.2) -> None:
        super().__init__()

        def block(in_channels: int, out_channels: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            )

        self.features = nn.Sequential(block(3, 16), block(16, 32), block(32, 64))
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(64, num_classes),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def build_model(
    arch: str = "small_cnn",
    num_classes: int = NUM_CLASSES,
    *,
    pretrained: bool = False,
    dropout: float = 0.2,
) -> nn.Module:
    """A fresh model of the given architecture."""
    if arch == "small_cnn":
        return SmallCNN(num_classes, dropout)
    if arch == "mobilenet_v2":
        try:
            from torchvision.models import MobileNet_V2_Weights, mobilenet_v2
        except ImportError as error:
            raise RuntimeError(
                "arch=mobilenet_v2 needs torchvision; install it next to your torch "
                "build on the training machine (pip install torchvision)"
            ) from error
        weights = MobileNet_V2_Weights.IMAGENET1K_V1 if pretrained else None
        model = mobilenet_v2(weights=weights)
        model.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(model.last_channel, num_classes)
        )
        return model
    raise ValueError(f"unknown arch '{arch}'; choose one of {', '.join(ARCHITECTURES)}")


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    arch: str,
    image_size: int,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the model and what is needed to rebuild it, atomically.

    Pass the plain module, not the result of ``torch.compile`` (its state dict
    keys carry a prefix that `load_checkpoint` would not recognise).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "arch": arch,
        "image_size": int(image_size),
        "labels": list(LABELS),
        "state_dict": {key: value.cpu() for key, value in model.state_dict().items()},
        "extra": extra or {},
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
    return path


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model from `save_checkpoint` output, in eval mode.

    Returns the model and the checkpoint's metadata (everything but weights).
    """
    payload = torch.load(Path(path), map_location=map_location, weights_only=True)
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(
            f"{path}: unsupported checkpoint format {payload.get('format')}"
        )
    if list(payload["labels"]) != list(LABELS):
        raise ValueError(
            f"{path}: the checkpoint's labels differ from the shared labels"
        )
    model = build_model(payload["arch"], len(payload["labels"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    metadata = {key: value for key, value in payload.items() if key != "state_dict"}
    return model, metadata


def predict_probabilities(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """Class probabilities, shape (batch, classes), without tracking gradients."""
    with torch.inference_mode():
        return torch.softmax(model(batch), dim=1)
