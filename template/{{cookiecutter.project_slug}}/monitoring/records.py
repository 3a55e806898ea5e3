"""Reading the two sides a drift check compares.

- The training reference (written by the training room):
  ``{"task", "source", "dataset_version", "count", "features": {name: [floats]},
  ...}`` and, for a classifier, ``"predictions": {label: share}`` (every label,
  zero shares included) and ``"confidence": [floats]``; for a regression model,
  ``"values": [predicted floats]``.
- The service's prediction log, one JSON object per line:
  ``{"time", "prediction", "probability" (classifiers only), "features": {name:
  float}}``.

Nothing here knows the problem: the feature names are the reference's, the
labels are the reference's, and whether the model is a classifier is whether
the reference holds class shares. So a new label or feature set needs no edit.

A reference that cannot be used raises `RecordsError` (the check cannot run).
A bad log line is skipped and counted: one garbled line must not hide the rest.
"""

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# How many skipped lines a report quotes; the rest are only counted.
EXAMPLES_KEPT = 5


class RecordsError(Exception):
    """The reference or the log cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Reference:
    path: Path
    task: str | None
    count: int
    source: str | None
    dataset_version: str | None
    features: dict[str, np.ndarray]
    # Classifiers: the class names, the share of each (in that order, summing
    # to 1) and the top-1 probabilities. Empty for a regression model.
    labels: tuple[str, ...] = ()
    prediction_shares: np.ndarray = field(default_factory=lambda: np.zeros(0))
    confidence: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Regression models: the predicted values. Empty for a classifier.
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def classification(self) -> bool:
        return bool(self.labels)


@dataclass
class Record:
    """One usable line of the prediction log."""

    time: str
    prediction: str | float
    probability: float | None
    features: dict[str, float]


@dataclass
class ProductionLog:
    path: Path
    feature_names: tuple[str, ...]
    labels: tuple[str, ...] = ()
    features: dict[str, list[float]] = field(default_factory=dict)
    predictions: Counter[str] = field(default_factory=Counter)
    confidence: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    count: int = 0
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    first_time: str | None = None
    last_time: str | None = None

    def __post_init__(self) -> None:
        self.features = {name: [] for name in self.feature_names}

    def add(self, record: Record) -> None:
        self.count += 1
        if self.labels:
            self.predictions[str(record.prediction)] += 1
            self.confidence.append(float(record.probability or 0.0))
        else:
            self.values.append(float(record.prediction))
        for name, value in record.features.items():
            self.features[name].append(value)
        if record.time:
            self.first_time = self.first_time or record.time
            self.last_time = record.time

    def skip(self, where: str) -> None:
        self.skipped += 1
        if len(self.skipped_examples) < EXAMPLES_KEPT:
            self.skipped_examples.append(where)

    def prediction_shares(self) -> np.ndarray:
        counts = np.array([self.predictions[label] for label in self.labels], float)
        return counts / max(counts.sum(), 1.0)

    def feature_array(self, name: str) -> np.ndarray:
        return np.asarray(self.features[name], dtype=float)


def _finite_floats(values: object, what: str) -> np.ndarray:
    if not isinstance(values, list) or not values:
        raise RecordsError(f"{what} must be a non-empty list of numbers")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise RecordsError(f"{what} holds something that is not a number") from None
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise RecordsError(f"{what} must be a flat list of finite numbers")
    return array


def load_reference(path: Path) -> Reference:
    """Read and check the training reference, or raise `RecordsError`."""
    if not path.is_file():
        raise RecordsError(
            f"training reference not found: {path}\n"
            "It is written by training (nox -s train); or pass --reference PATH."
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordsError(
            f"training reference {path} is unreadable: {error}"
        ) from None
    if not isinstance(document, dict):
        raise RecordsError(f"training reference {path} is not a JSON object")
    try:
        return _parse_reference(path, document)
    except RecordsError as error:
        raise RecordsError(f"training reference {path}: {error}") from None


def _parse_features(raw_features: object) -> dict[str, np.ndarray]:
    if not isinstance(raw_features, dict) or not raw_features:
        raise RecordsError("'features' must map feature names to lists of numbers")
    return {
        str(name): _finite_floats(values, f"features.{name}")
        for name, values in raw_features.items()
    }


def _parse_shares(raw_shares: object) -> tuple[tuple[str, ...], np.ndarray]:
    if not isinstance(raw_shares, dict) or not raw_shares:
        raise RecordsError("'predictions' must map class names to shares")
    labels = tuple(str(label) for label in raw_shares)
    try:
        shares = np.array([float(raw_shares[label]) for label in labels])
    except (TypeError, ValueError):
        raise RecordsError("'predictions' shares must be numbers") from None
    if not np.all(np.isfinite(shares)) or shares.min() < 0 or shares.sum() <= 0:
        raise RecordsError("'predictions' shares must be non-negative numbers")
    return labels, shares / shares.sum()


def _parse_reference(path: Path, document: dict) -> Reference:
    features = _parse_features(document.get("features"))
    if "predictions" in document:
        labels, shares = _parse_shares(document["predictions"])
        confidence = _finite_floats(document.get("confidence"), "confidence")
        outputs = {
            "labels": labels,
            "prediction_shares": shares,
            "confidence": confidence,
        }
        size = confidence.size
    elif "values" in document:
        values = _finite_floats(document["values"], "values")
        outputs, size = {"values": values}, values.size
    else:
        raise RecordsError(
            "holds neither 'predictions' (a classifier's class shares) nor "
            "'values' (a regression model's predictions)"
        )
    count = document.get("count")
    if not isinstance(count, int) or count <= 0:
        count = size
    return Reference(
        path=path,
        task=document.get("task"),
        count=count,
        source=document.get("source"),
        dataset_version=document.get("dataset_version"),
        features=features,
        **outputs,
    )


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def parse_line(line: str, reference: Reference) -> Record:
    """One log line -> a `Record` shaped like ``reference``, or ValueError."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    prediction = record.get("prediction")
    probability = record.get("probability")
    if reference.classification:
        if prediction not in reference.labels:
            raise ValueError(f"prediction {prediction!r} is not a reference class")
        if not _is_number(probability) or not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be a number in 0..1")
    elif not _is_number(prediction):
        raise ValueError(f"prediction {prediction!r} is not a finite number")
    raw_features = record.get("features")
    if not isinstance(raw_features, dict):
        raise ValueError("features must be an object")
    features = {}
    for name in reference.features:
        value = raw_features.get(name)
        if not _is_number(value):
            raise ValueError(f"feature {name!r} must be a finite number")
        features[name] = float(value)
    return Record(str(record.get("time", "")), prediction, probability, features)


def load_prediction_log(path: Path, reference: Reference) -> ProductionLog:
    """Read the service's prediction log, skipping (and counting) bad lines."""
    if not path.is_file():
        raise RecordsError(
            f"prediction log not found: {path}\n"
            "The service writes it while answering /predict (nox -s serve-check "
            "sends sample requests); or pass --production PATH."
        )
    log = ProductionLog(path, tuple(reference.features), reference.labels)
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    log.add(parse_line(line, reference))
                except (ValueError, TypeError) as error:
                    # json.JSONDecodeError is a ValueError too.
                    log.skip(f"line {number}: {error}")
    except OSError as error:
        raise RecordsError(f"prediction log {path} is unreadable: {error}") from None
    return log
