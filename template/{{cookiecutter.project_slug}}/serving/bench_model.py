"""In-process measurements of each model variant: the limit a server can reach.

For every variant of `serving.runtimes`: how many requests per second one
process turns into probabilities (JSON parsing, base64 and JPEG decoding,
preprocessing and the forward pass, exactly the service's work minus HTTP), at
several batch sizes, and the variant's accuracy on the evaluation split.
"""

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract import decode_image
from {{ cookiecutter.package_name }}.labels import class_index
from {{ cookiecutter.package_name }}.model import load_checkpoint
from {{ cookiecutter.package_name }}.preprocessing import open_image, to_array

from .runtimes import Predictor, RuntimeOptions, load_predictor

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
ACCURACY_BATCH = 64


@dataclass(frozen=True)
class ModelFacts:
    arch: str
    image_size: int
    parameters: int
    mmacs: float  # millions of multiply-accumulates per image


@dataclass
class VariantResult:
    variant: str
    accuracy: float | None
    # batch size -> requests (images) per second, decode + forward
    images_per_s: dict[int, float] = field(default_factory=dict)

    @property
    def limit(self) -> float:
        """The best rate over the batch sizes measured."""
        return max(self.images_per_s.values(), default=0.0)


def model_facts(checkpoint: Path) -> ModelFacts:
    """Size and compute of the served model, so figures can be compared."""
    from torch.utils.flop_counter import FlopCounterMode

    model, metadata = load_checkpoint(checkpoint)
    size = int(metadata["image_size"])
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(1, 3, size, size))
    return ModelFacts(
        arch=str(metadata["arch"]),
        image_size=size,
        parameters=sum(p.numel() for p in model.parameters()),
        mmacs=round(counter.get_total_flops() / 2 / 1e6, 2),
    )


def labelled_evaluation_images(limit: int | None = None) -> list[tuple[Path, int]]:
    """(path, class index) of the evaluation split, every class in turn."""
    root = paths.dataset_dir() / "evaluation"
    per_class = [
        [
            (path, class_index(folder.name))
            for path in sorted(folder.iterdir())
            if path.suffix.lower() in IMAGE_SUFFIXES
        ]
        for folder in sorted(root.iterdir() if root.is_dir() else [])
        if folder.is_dir()
    ]
    chosen: list[tuple[Path, int]] = []
    for rank in range(max((len(files) for files in per_class), default=0)):
        chosen += [files[rank] for files in per_class if rank < len(files)]
    return chosen[:limit] if limit is not None else chosen


def accuracy(predictor: Predictor, images: list[tuple[Path, int]]) -> float | None:
    if not images:
        return None
    correct = 0
    for start in range(0, len(images), ACCURACY_BATCH):
        chunk = images[start : start + ACCURACY_BATCH]
        batch = np.stack(
            [to_array(open_image(path), predictor.image_size) for path, _ in chunk]
        )
        predicted = predictor.probabilities(batch).argmax(axis=1)
        correct += sum(
            int(p) == label for p, (_, label) in zip(predicted, chunk, strict=True)
        )
    return correct / len(images)


def decode_and_predict(predictor: Predictor, bodies: Sequence[bytes]) -> np.ndarray:
    """The service's work for ``bodies``, as one batch."""
    batch = np.stack(
        [
            to_array(decode_image(json.loads(body)["image"]), predictor.image_size)
            for body in bodies
        ]
    )
    return predictor.probabilities(batch)


def images_per_second(
    predictor: Predictor, bodies: list[bytes], batch_size: int, seconds: float
) -> float:
    """Requests handled per second, in batches of ``batch_size``, for ``seconds``."""
    batches = [
        [bodies[(start + i) % len(bodies)] for i in range(batch_size)]
        for start in range(0, max(len(bodies), batch_size), batch_size)
    ]
    decode_and_predict(predictor, batches[0])  # warm-up: first-call allocations
    done, started = 0, time.perf_counter()
    while True:
        for batch in batches:
            decode_and_predict(predictor, batch)
            done += len(batch)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def measure_variant(
    checkpoint: Path,
    options: RuntimeOptions,
    bodies: list[bytes],
    batch_sizes: Sequence[int],
    seconds: float,
    evaluation: list[tuple[Path, int]],
    workdir: Path,
) -> VariantResult:
    predictor = load_predictor(checkpoint, options, workdir / options.variant)
    result = VariantResult(options.variant, accuracy(predictor, evaluation))
    for batch_size in batch_sizes:
        rate = images_per_second(predictor, bodies, batch_size, seconds)
        result.images_per_s[batch_size] = round(rate, 1)
    return result
