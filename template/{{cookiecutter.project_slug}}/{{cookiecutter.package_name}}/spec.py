"""What the team's problem is, as data: labels or target, features, fitted settings.

The data room writes a `Spec` beside the dataset (``problem.json``), training
fits the preprocessing on the training split and stores the result in the
checkpoint, and serving and monitoring read it from there. So a new label set
or feature set flows from the ingested data to every room with no code edit.
The team's problem is committed as ``contracts/problem.json`` (`committed_spec`):
`python -m data contract` writes it from the data, and the synthetic data that
tests and CI use follows it. Nothing here knows the task kind; ``problem`` is
the module rooms import.
"""

import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from . import paths

SPLITS: tuple[str, ...] = ("training", "validation", "evaluation")
SPEC_FILE = "problem.json"


class ContractError(ValueError):
    """A request that breaks the contract; the message says how (sent as a 4xx)."""


class ProblemDataError(ValueError):
    """Data that cannot describe the problem (e.g. one class only); says why."""


@dataclass(frozen=True)
class Feature:
    """One input column of a tabular problem."""

    name: str
    type: str  # "number" or "category"
    categories: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.type == "category":
            data["categories"] = list(self.categories)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Feature":
        return cls(data["name"], data["type"], tuple(data.get("categories", ())))


@dataclass(frozen=True)
class Spec:
    """The problem as the data defines it.

    - ``task``: the kind (``image-classification``, ``text-classification``,
      ``tabular-regression``).
    - ``labels``: class names in the order of the model's outputs (classification).
    - ``features`` and ``target``: the input columns and the predicted column
      (tabular).
    - ``fitted``: what training learned about the inputs and keeps with the
      model (image size, feature means, target scale, ...); empty until then.
    """

    task: str
    labels: tuple[str, ...] = ()
    features: tuple[Feature, ...] = ()
    target: str = ""
    fitted: dict[str, Any] = field(default_factory=dict)

    @property
    def classification(self) -> bool:
        return bool(self.labels)

    def with_fitted(self, **values: Any) -> "Spec":
        return replace(self, fitted={**self.fitted, **values})

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        data["features"] = [feature.to_json() for feature in self.features]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Spec":
        return cls(
            task=data["task"],
            labels=tuple(data.get("labels", ())),
            features=tuple(Feature.from_json(f) for f in data.get("features", ())),
            target=data.get("target", ""),
            fitted=dict(data.get("fitted", {})),
        )


def write_spec(spec: Spec, folder: Path) -> Path:
    """Write ``folder/problem.json`` atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SPEC_FILE
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(spec.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def read_spec(folder: Path) -> Spec:
    """The spec the data room wrote into ``folder`` (a dataset root)."""
    path = folder / SPEC_FILE
    try:
        return Spec.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ProblemDataError(
            f"no {SPEC_FILE} in {folder}; make the dataset first (nox -s data)"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise ProblemDataError(f"{path} is not a problem spec: {error}") from None


def spec_problem(spec: Spec) -> str | None:
    """What makes ``spec`` unable to describe a problem, or None."""
    if spec.classification:
        if len(spec.labels) < 2 or len(set(spec.labels)) != len(spec.labels):
            return "a classifier needs two or more distinct labels"
        return None
    if not spec.features or not spec.target:
        return "a regression needs one or more features and a target"
    names = [feature.name for feature in spec.features] + [spec.target]
    if len(set(names)) != len(names):
        return "feature and target names must be distinct"
    for feature in spec.features:
        if feature.type not in ("number", "category"):
            return f"feature '{feature.name}' is of type '{feature.type}'"
        if feature.type == "category" and not feature.categories:
            return f"category feature '{feature.name}' has no categories"
    return None


def committed_spec(example: Spec) -> Spec:
    """The team's problem: ``contracts/problem.json``, or ``example`` (the kind's
    worked example) where there is none.

    `python -m data contract` writes that file from the data, so that the
    synthetic data follows the labels or features of the team's real data.
    """
    path = paths.contracts_dir() / SPEC_FILE
    if not path.is_file():
        return example
    spec = replace(read_spec(path.parent), fitted={})
    if spec.task != example.task:
        raise ProblemDataError(
            f"{path} describes a {spec.task} problem; this project's kind is "
            f"{example.task}"
        )
    problem = spec_problem(spec)
    if problem:
        raise ProblemDataError(f"{path}: {problem}")
    return spec


@dataclass(frozen=True)
class Example:
    """One labelled example: the kind's raw input, its target, where it came from.

    ``input`` is what the kind stores (an image file's path, a text, a dict of
    feature values); ``target`` a label name or a number; ``origin`` names the
    example in messages and manifests (a relative path, ``file.csv:12``);
    ``split`` is the split the source assigned, or None.
    """

    input: Any
    target: str | float
    origin: str
    split: str | None = None


@dataclass(frozen=True)
class Rejected:
    """Input that could not be used: where it was, why, and its bytes to keep."""

    origin: str
    reason: str
    content: bytes = b""

    def to_json(self) -> dict[str, str]:
        return {"path": self.origin, "reason": self.reason}


@dataclass
class Source:
    """What a data source holds: usable examples, rejected input and the spec."""

    spec: Spec
    examples: list[Example] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def finite_number(value: object) -> float | None:
    """``value`` as a float when it is a real, finite number (not bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None
