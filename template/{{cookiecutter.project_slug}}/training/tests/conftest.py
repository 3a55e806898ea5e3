"""Fixtures: a tiny learnable ImageFolder dataset and an isolated artifacts folder.

The dataset is made here (not by the data room) so these tests need nothing but
the training room: each class is a hue of its own with noise and a square of a
random position and shade, so a model has something real to learn, fast.
"""

import colorsys
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import wandb
from PIL import Image

from {{ cookiecutter.package_name }}.labels import NUM_CLASSES, class_folder

from training.config import DEFAULT_CONFIG_PATH, TrainingConfig, load_config

IMAGES_PER_SPLIT = {"training": 12, "validation": 4, "evaluation": 4}
TINY_IMAGE_SIZE = 32

# Small and quick: about a second per epoch on two CPU cores.
TINY_OVERRIDES = (
    f"image_size={TINY_IMAGE_SIZE}",
    "batch_size=16",
    "lr=0.01",
    "epochs=3",
    "device=cpu",
    "wandb.project=tests",
)


def draw_image(class_index: int, rng: np.random.Generator) -> Image.Image:
    hue = class_index / NUM_CLASSES
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.7, rng.uniform(0.6, 0.95))
    pixels = np.empty((TINY_IMAGE_SIZE, TINY_IMAGE_SIZE, 3), dtype=np.float32)
    pixels[:] = (red * 255, green * 255, blue * 255)
    x, y = rng.integers(0, TINY_IMAGE_SIZE - 10, size=2)
    pixels[y : y + 10, x : x + 10] = rng.uniform(0, 255)
    pixels += rng.normal(0, 12, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def write_dataset(root: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for split, count in IMAGES_PER_SPLIT.items():
        for class_index in range(NUM_CLASSES):
            folder = root / split / class_folder(class_index)
            folder.mkdir(parents=True)
            for index in range(count):
                draw_image(class_index, rng).save(folder / f"image_{index:03d}.jpg")
    return root


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("tiny") / "dataset")


@pytest.fixture
def artifacts(
    tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh ARTIFACTS_DIR holding the tiny dataset; W&B disabled unless a test
    says otherwise, and kept out of the home directory."""
    root = tmp_path / "artifacts"
    shutil.copytree(tiny_dataset, root / "data" / "dataset")
    monkeypatch.setenv("ARTIFACTS_DIR", str(root))
    monkeypatch.setenv("WANDB_DIR", str(root))
    monkeypatch.setenv("WANDB_MODE", "disabled")
    for variable in ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    yield root
    # wandb keeps its settings for the rest of the process once a run started;
    # tearing it down lets the next test's WANDB_* variables count.
    wandb.teardown()


@pytest.fixture(scope="session")
def tiny_overrides() -> tuple[str, ...]:
    """The tiny settings as command-line overrides (for runs in a subprocess)."""
    return TINY_OVERRIDES


@pytest.fixture
def tiny_config(artifacts: Path) -> Callable[..., TrainingConfig]:
    """The project's real config file with the tiny settings plus ``overrides``."""

    def make(*overrides: str) -> TrainingConfig:
        return load_config(DEFAULT_CONFIG_PATH, [*TINY_OVERRIDES, *overrides])

    return make
