"""The dataset's splits, as torch datasets, through the problem interface.

The data room stores each split with `problem.write_split` and the problem's
spec beside them (``problem.json``). Here every example is decoded with
`problem.load_input` and encoded with `problem.encode_input`, exactly as the
service encodes a request, so what the model sees in training is what it sees
in production.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.model import target_tensor
from {{ cookiecutter.package_name }}.spec import Example, Spec, read_spec


def read_examples(split: str, spec: Spec, root: Path | None = None) -> list[Example]:
    """The stored examples of one split (`ProblemDataError` if it is missing)."""
    return problem.read_split((root or paths.dataset_dir()) / split, spec)


class ExampleDataset(Dataset):
    """(encoded input, encoded target) pairs of one split."""

    def __init__(self, spec: Spec, examples: list[Example]) -> None:
        self.spec = spec
        self.examples = examples
        self.encoded_targets = target_tensor(spec, self.targets)

    @property
    def targets(self) -> list[Any]:
        """The examples' targets as the data states them: label names or numbers."""
        return [example.target for example in self.examples]

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        decoded = problem.load_input(self.examples[index])
        encoded = problem.encode_input(self.spec, decoded)
        return torch.from_numpy(encoded), self.encoded_targets[index]


@dataclass(frozen=True)
class Splits:
    """The training and validation splits, and the spec fitted on the former."""

    spec: Spec
    training: ExampleDataset
    validation: ExampleDataset


def load_splits(settings: dict[str, Any], root: Path | None = None) -> Splits:
    """Read the spec and both splits; fit the preprocessing on the training split.

    ``settings`` (the training configuration) reaches `problem.fit`, which
    takes what the problem needs from it (the architecture, an input size).
    """
    spec = read_spec(root or paths.dataset_dir())
    training = read_examples("training", spec, root)
    validation = read_examples("validation", spec, root)
    fitted = problem.fit(spec, training, settings)
    return Splits(
        fitted, ExampleDataset(fitted, training), ExampleDataset(fitted, validation)
    )


def dataset_version() -> str | None:
    """The data room's manifest version of the current dataset, if there is one."""
    manifest_path = paths.artifacts_dir() / "data" / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return str(version) if version is not None else None
