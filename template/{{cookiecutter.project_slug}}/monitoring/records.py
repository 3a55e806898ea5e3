"""Reading the two sides a drift check compares.

- The training reference (written by the training room):
  ``{"source", "dataset_version", "count", "features": {name: [floats]},
  "predictions": {label: fraction}, "confidence": [floats]}``.
- The service's prediction log, one JSON object per line:
  ``{"time", "prediction", "probability", "features": {name: float}}``.

A reference that cannot be used raises `RecordsError` (the check cannot run).
A bad log line is skipped and counted: one garbled line must not hide the rest.
"""

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from {{ cookiecutter.package_name }}.features import FEATURE_NAMES
from {{ cookiecutter.package_name }}.labels import LABELS

# How many skipped lines a report quotes; the rest are only counted.
EXAMPLES_KEPT = 5


class RecordsError(Exception):
    """The reference or the log cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Reference:
    path: Path
    count: int
    source: str | None
    dataset_version: str | None
    features: dict[str, np.ndarray]
    # Share of each class in `LABELS` order; sums to 1.
    prediction_shares: np.ndarray
    confidence: np.ndarray


@dataclass
class ProductionLog:
    path: Path
    features: dict[str, list[float]] = field(
        default_factory=lambda: {name: [] for name in FEATURE_NAMES}
    )
    predictions: Counter[str] = field(default_factory=Counter)
    confidence: list[float] = field(default_factory=list)
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    first_time: str | None = None
    last_time: str | None = None

    @property
    def count(self) -> int:
        return len(self.confidence)

    def prediction_shares(self) -> np.ndarray:
        counts = np.array([self.predictions[label] for label in LABELS], dtype=float)
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


def _parse_reference(path: Path, document: dict) -> Reference:
    raw_features = document.get("features")
    if not isinstance(raw_features, dict):
        raise RecordsError("'features' must map feature names to lists of numbers")
    missing = [name for name in FEATURE_NAMES if name not in raw_features]
    if missing:
        raise RecordsError(f"'features' lacks {', '.join(missing)}")
    features = {
        name: _finite_floats(raw_features[name], f"features.{name}")
        for name in FEATURE_NAMES
    }

    raw_shares = document.get("predictions")
    if not isinstance(raw_shares, dict) or not raw_shares:
        raise RecordsError("'predictions' must map class names to shares")
    unknown = sorted(set(raw_shares) - set(LABELS))
    if unknown:
        raise RecordsError(
            f"'predictions' names classes that are not shared labels: {unknown}"
        )
    shares = np.array([raw_shares.get(label, 0.0) for label in LABELS], dtype=float)
    if not np.all(np.isfinite(shares)) or shares.min() < 0 or shares.sum() <= 0:
        raise RecordsError("'predictions' shares must be non-negative numbers")

    confidence = _finite_floats(document.get("confidence"), "confidence")
    count = document.get("count")
    if not isinstance(count, int) or count <= 0:
        count = len(confidence)
    return Reference(
        path=path,
        count=count,
        source=document.get("source"),
        dataset_version=document.get("dataset_version"),
        features=features,
        prediction_shares=shares / shares.sum(),
        confidence=confidence,
    )


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _parse_line(line: str) -> tuple[str, str, float, dict[str, float]]:
    """One log line -> (time, prediction, probability, features), or ValueError."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    prediction = record.get("prediction")
    if prediction not in LABELS:
        raise ValueError(f"prediction {prediction!r} is not a shared label")
    probability = record.get("probability")
    if not _is_number(probability) or not 0.0 <= probability <= 1.0:
        raise ValueError("probability must be a number in 0..1")
    raw_features = record.get("features")
    if not isinstance(raw_features, dict):
        raise ValueError("features must be an object")
    features = {}
    for name in FEATURE_NAMES:
        value = raw_features.get(name)
        if not _is_number(value):
            raise ValueError(f"feature {name!r} must be a finite number")
        features[name] = float(value)
    return str(record.get("time", "")), prediction, float(probability), features


def load_prediction_log(path: Path) -> ProductionLog:
    """Read the service's prediction log, skipping (and counting) bad lines."""
    if not path.is_file():
        raise RecordsError(
            f"prediction log not found: {path}\n"
            "The service writes it while answering /predict (nox -s serve-check "
            "sends sample requests); or pass --production PATH."
        )
    log = ProductionLog(path=path)
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    time, prediction, probability, features = _parse_line(line)
                except (ValueError, TypeError) as error:
                    # json.JSONDecodeError is a ValueError too.
                    log.skipped += 1
                    if len(log.skipped_examples) < EXAMPLES_KEPT:
                        log.skipped_examples.append(f"line {number}: {error}")
                    continue
                log.predictions[prediction] += 1
                log.confidence.append(probability)
                for name, value in features.items():
                    log.features[name].append(value)
                if time:
                    log.first_time = log.first_time or time
                    log.last_time = time
    except OSError as error:
        raise RecordsError(f"prediction log {path} is unreadable: {error}") from None
    return log
