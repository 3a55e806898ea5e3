"""How good a model is, against the baseline that proves it learned anything.

Classification: accuracy against the majority class of the training split (and
chance). Regression: mean absolute error against always predicting the training
mean. `passes` applies the training config's quality bar.
"""

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .spec import Spec

# Fewer labelled predictions than this are not enough to judge a model's
# online quality (the operation loop's and the cluster's quality alerts).
MIN_LABELLED = 20


def primary_metric(spec: Spec) -> tuple[str, bool]:
    """The metric a run is judged by, and whether higher is better."""
    return ("accuracy", True) if spec.classification else ("mae", False)


def quality(
    spec: Spec, targets: Sequence[Any], predictions: Sequence[Any]
) -> dict[str, Any]:
    """Metrics of ``predictions`` (label names or numbers) against ``targets``."""
    if len(targets) != len(predictions):
        raise ValueError(f"{len(targets)} targets but {len(predictions)} predictions")
    count = len(targets)
    if spec.classification:
        correct = sum(t == p for t, p in zip(targets, predictions, strict=True))
        per_class = {}
        for label in spec.labels:
            pairs = [
                (t, p) for t, p in zip(targets, predictions, strict=True) if t == label
            ]
            per_class[label] = (
                round(sum(t == p for t, p in pairs) / len(pairs), 6) if pairs else None
            )
        return {
            "count": count,
            "accuracy": round(correct / count, 6) if count else 0.0,
            "per_class_accuracy": per_class,
        }
    errors = [float(p) - float(t) for t, p in zip(targets, predictions, strict=True)]
    return {
        "count": count,
        "mae": round(sum(abs(e) for e in errors) / count, 6) if count else 0.0,
        "rmse": round(math.sqrt(sum(e * e for e in errors) / count), 6)
        if count
        else 0.0,
    }


def baseline(
    spec: Spec, training_targets: Sequence[Any], targets: Sequence[Any]
) -> dict[str, Any]:
    """The model-free answer learned from the training split, scored on ``targets``."""
    if not training_targets:
        raise ValueError("the training split is empty")
    if spec.classification:
        counts = Counter(training_targets)
        # The most frequent class; on a tie the one listed first.
        majority = min(
            counts, key=lambda label: (-counts[label], spec.labels.index(label))
        )
        measured = quality(spec, targets, [majority] * len(targets))
        return {
            "name": "majority class",
            "prediction": majority,
            "accuracy": measured["accuracy"],
            "chance": round(1 / len(spec.labels), 6),
        }
    mean = sum(float(t) for t in training_targets) / len(training_targets)
    measured = quality(spec, targets, [mean] * len(targets))
    return {
        "name": "mean predictor",
        "prediction": round(mean, 6),
        "mae": measured["mae"],
        "rmse": measured["rmse"],
    }


def passes(
    spec: Spec, measured: dict[str, Any], base: dict[str, Any], bar: float
) -> bool:
    """Whether a model clears the bar.

    Classification: accuracy at least ``bar`` (e.g. 0.6), and above the
    baseline's. Regression: mean absolute error at most ``bar`` times the mean
    predictor's (e.g. 0.6: 40 % less error than knowing nothing about the row).
    """
    metric, _ = primary_metric(spec)
    return clears_bar(metric, measured[metric], base[metric], bar)


def clears_bar(metric: str, value: float, baseline: float, bar: float) -> bool:
    """`passes` on one figure and the baseline's figure of the same metric."""
    if metric == "accuracy":
        return value >= bar and value > baseline
    return value <= bar * baseline
