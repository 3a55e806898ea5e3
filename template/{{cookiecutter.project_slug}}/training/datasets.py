"""The ImageFolder splits the data room writes, as torch datasets.

``<dataset_dir>/<split>/class_XX/*.jpg``: images are decoded and normalised by
the shared preprocessing, exactly as the service does, so what the model sees
in training is what it sees in production. No torchvision needed.
"""

import json
from collections import Counter
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.labels import LABELS, class_index
from {{ cookiecutter.package_name }}.preprocessing import (
    UnreadableImageError,
    open_image,
    to_array,
)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


class DatasetError(RuntimeError):
    """The dataset is missing, empty or holds a file that cannot be used."""


def split_dir(split: str, root: Path | None = None) -> Path:
    return (root or paths.dataset_dir()) / split


def list_images(folder: Path) -> list[tuple[Path, int]]:
    """Every image of a split as (path, class index), in a fixed order.

    Sorted, so the same files give the same order (and so the same seeded
    shuffles) on every machine.
    """
    if not folder.is_dir():
        raise DatasetError(
            f"no dataset split at {folder}; make the dataset first "
            "(nox -s data, or python -m data prepare)"
        )
    samples = []
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        try:
            label = class_index(class_dir.name)
        except ValueError as error:
            raise DatasetError(f"{class_dir}: {error}") from None
        samples.extend(
            (path, label)
            for path in sorted(class_dir.iterdir())
            if path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")
        )
    if not samples:
        raise DatasetError(f"the split at {folder} holds no images")
    return samples


def load_image(path: Path) -> Image.Image:
    """Open one dataset image, naming the file if it cannot be decoded."""
    try:
        return open_image(path)
    except UnreadableImageError as error:
        raise DatasetError(
            f"{path}: {error}. The data room's validation quarantines such files; "
            "rerun it (python -m data prepare / ingest) or remove the file."
        ) from None


class ImageFolderDataset(Dataset):
    """(image tensor, class index) pairs of one split."""

    def __init__(self, folder: Path, image_size: int) -> None:
        self.folder = folder
        self.image_size = image_size
        self.samples = list_images(folder)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        pixels = to_array(load_image(path), self.image_size)
        return torch.from_numpy(pixels), label

    @property
    def labels(self) -> list[int]:
        return [label for _, label in self.samples]


def majority_class(labels: list[int]) -> int:
    """The most frequent class (the lowest index on a tie): the baseline's answer."""
    counts = Counter(labels)
    return min(counts, key=lambda label: (-counts[label], label))


def baseline_accuracy(majority: int, labels: list[int]) -> float:
    """Accuracy of always answering ``majority`` on ``labels``."""
    return sum(label == majority for label in labels) / len(labels) if labels else 0.0


def baseline_summary(majority: int, labels: list[int]) -> dict[str, object]:
    return {
        "name": "majority class",
        "class": LABELS[majority],
        "accuracy": round(baseline_accuracy(majority, labels), 6),
    }


def dataset_version() -> str | None:
    """The data room's manifest version of the current dataset, if there is one."""
    manifest_path = paths.artifacts_dir() / "data" / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return str(version) if version is not None else None
