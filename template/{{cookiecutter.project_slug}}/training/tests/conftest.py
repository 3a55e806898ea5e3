"""Fixtures: a tiny learnable dataset and an isolated artifacts folder.

The dataset is made here, with the problem's own synthetic generator, written
as the data room writes one (`problem.write_split` per split, `write_spec`
beside them), so these tests need nothing but the training room and the
shared package, whatever the problem.
"""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import paths, problem, quality
from {{ cookiecutter.package_name }}.model import save_checkpoint
from {{ cookiecutter.package_name }}.spec import (
    SPLITS,
    Example,
    Spec,
    read_spec,
    write_spec,
)

from training import tracking
from training.config import DEFAULT_CONFIG_PATH, TrainingConfig, load_config
from training.datasets import read_examples

# Half the default synthetic dataset (examples per class, or rows): a few
# seconds per training run on two CPU cores, and enough examples of each class
# for every problem's model to generalise from in three epochs.
TINY_COUNT = max(10, problem.DEFAULT_SYNTHETIC_COUNT // 2)
TINY_SEED = 7

TINY_OVERRIDES = (
    # The problem's own settings small (four times the least: quick to train).
    *(f"{key}={4 * least}" for key, least in problem.SETTINGS.items()),
    "batch_size=16",
    "lr=0.01",
    "epochs=3",
    "device=cpu",
    "tracking.project=tests",
)


def split_of(position: int) -> str:
    """Three in five examples train, one validates, one evaluates."""
    return SPLITS[(0, 0, 0, 1, 2)[position % 5]]


def tiny_splits(count: int, seed: int) -> tuple[Spec, dict[str, list[Example]]]:
    """The synthetic examples split 3:1:1 within each class (or over all rows)."""
    source = problem.synthetic_source(count, seed)
    groups: dict[object, list[Example]] = {}
    for example in source.examples:
        key = example.target if source.spec.classification else None
        groups.setdefault(key, []).append(example)
    splits: dict[str, list[Example]] = {split: [] for split in SPLITS}
    for examples in groups.values():
        for position, example in enumerate(examples):
            splits[split_of(position)].append(example)
    return source.spec, splits


def write_dataset(root: Path, count: int = TINY_COUNT, seed: int = TINY_SEED) -> Path:
    spec, splits = tiny_splits(count, seed)
    for split, examples in splits.items():
        problem.write_split(examples, root / split, spec)
    write_spec(spec, root)
    return root


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("tiny") / "dataset")


@pytest.fixture
def artifacts(
    tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh ARTIFACTS_DIR holding the tiny dataset; tracking off unless a test
    says otherwise, and never the team's own account or server."""
    root = tmp_path / "artifacts"
    shutil.copytree(tiny_dataset, root / "data" / "dataset")
    monkeypatch.setenv("ARTIFACTS_DIR", str(root))
    monkeypatch.setenv("TRACKING_MODE", "off")
{%- if cookiecutter.tracker == 'wandb' %}
    monkeypatch.setenv("WANDB_DIR", str(root))
    for variable in ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
{%- else %}
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
{%- endif %}
    yield root
    # A tracker may keep settings for the rest of the process once a run
    # started; forgetting them lets the next test's variables count.
    tracking.reset()


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


@pytest.fixture
def untrained_checkpoint(tiny_config) -> Callable[[Path], Path]:
    """Saves, at the path given, a model of the dataset's problem that has
    learned nothing: a candidate that must fail the quality gate."""

    def make(path: Path) -> Path:
        spec = read_spec(paths.dataset_dir())
        settings = tiny_config().to_dict()
        fitted = problem.fit(spec, read_examples("training", spec), settings)
        untrained = problem.build_model(fitted, problem.DEFAULT_ARCH)
        return save_checkpoint(path, untrained, spec=fitted, arch=problem.DEFAULT_ARCH)

    return make


@pytest.fixture(scope="session")
def tiny_spec(tiny_dataset: Path) -> Spec:
    return read_spec(tiny_dataset)


@pytest.fixture(scope="session")
def learned(tiny_spec: Spec) -> Callable[[dict], bool]:
    """Whether a training.json document's last validation clears the default bar:
    accuracy 0.6 and above the majority class, or a mean absolute error at most
    0.6 x the mean predictor's."""

    def check(document: dict) -> bool:
        metric = document["metric"]
        measured = {metric: document[f"val_{metric}"]}
        return quality.passes(tiny_spec, measured, document["baseline"], 0.6)

    return check
