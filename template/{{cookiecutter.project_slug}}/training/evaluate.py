"""Judge the latest model offline: ``python -m training.evaluate [key=value ...]``.

Runs `paths.latest_model_path()` over the dataset's held-out evaluation split
and writes

- artifacts/metrics/evaluation.json: accuracy, per-class accuracy, the
  majority-class baseline and the quality gate's verdict;
- artifacts/monitoring/reference.json: the evaluation images' features and the
  model's predictions and confidences on them, which monitoring compares
  production traffic with.

Exit codes: 0 the model passed the gate; 1 its accuracy is below
``min_accuracy`` (training/config.yaml); 2 it could not be evaluated.
"""

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.features import FEATURE_NAMES, image_features
from {{ cookiecutter.package_name }}.labels import LABELS
from {{ cookiecutter.package_name }}.model import load_checkpoint, predict_probabilities
from {{ cookiecutter.package_name }}.preprocessing import to_array

from .acceleration import select_device
from .config import CONFIG_ERROR_EXIT_CODE, ConfigError, from_command_line
from .datasets import (
    DatasetError,
    baseline_accuracy,
    dataset_version,
    list_images,
    load_image,
    majority_class,
    split_dir,
)
from .reports import evaluation_metrics_path, write_json

PROG = "python -m training.evaluate"
BATCH_SIZE = 64
GATE_FAILED_EXIT_CODE = 1


class EvaluationError(RuntimeError):
    """The model or the evaluation split cannot be used."""


@dataclass
class Predictions:
    """The model's answers on a split, image by image."""

    labels: list[int] = field(default_factory=list)
    predicted: list[int] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    features: dict[str, list[float]] = field(
        default_factory=lambda: {name: [] for name in FEATURE_NAMES}
    )


def predict_split(
    model: torch.nn.Module,
    image_size: int,
    samples: list[tuple[Path, int]],
    device: torch.device,
) -> Predictions:
    """Predict every image, decoding each once for both the model and features."""
    result = Predictions()
    for start in range(0, len(samples), BATCH_SIZE):
        arrays = []
        for path, label in samples[start : start + BATCH_SIZE]:
            image = load_image(path)
            for name, value in image_features(image).items():
                result.features[name].append(value)
            arrays.append(to_array(image, image_size))
            result.labels.append(label)
        batch = torch.from_numpy(np.stack(arrays)).to(device)
        top, predicted = predict_probabilities(model, batch).max(dim=1)
        result.predicted.extend(predicted.tolist())
        result.confidence.extend(round(float(p), 6) for p in top.tolist())
    return result


def per_class_accuracy(predictions: Predictions) -> dict[str, float | None]:
    """Accuracy of each of the labels; None for a class with no images."""
    correct: Counter[int] = Counter()
    total: Counter[int] = Counter(predictions.labels)
    for label, predicted in zip(predictions.labels, predictions.predicted, strict=True):
        correct[label] += label == predicted
    return {
        name: round(correct[index] / total[index], 6) if total[index] else None
        for index, name in enumerate(LABELS)
    }


def baseline_class(metadata: dict[str, Any]) -> int | None:
    """The majority class training recorded, else counted on the training split."""
    recorded = metadata.get("extra", {}).get("baseline", {}).get("class")
    if recorded in LABELS:
        return LABELS.index(recorded)
    try:
        training = list_images(split_dir("training"))
    except DatasetError:
        return None
    return majority_class([label for _, label in training])


def reference_document(predictions: Predictions, version: str | None) -> dict[str, Any]:
    """The monitoring reference, in the format monitoring.records reads."""
    count = len(predictions.labels)
    shares = Counter(predictions.predicted)
    return {
        "source": "evaluation split",
        "dataset_version": version,
        "count": count,
        "features": predictions.features,
        "predictions": {
            name: round(shares[index] / count, 6) for index, name in enumerate(LABELS)
        },
        "confidence": predictions.confidence,
    }


def format_table(document: dict[str, Any]) -> str:
    width = max(len(name) for name in LABELS)
    lines = [f"{'class':<{width}}  images  accuracy"]
    for name, accuracy in document["per_class_accuracy"].items():
        shown = "-" if accuracy is None else f"{accuracy:.3f}"
        count = document["per_class_count"][name]
        lines.append(f"{name:<{width}}  {count:>6}  {shown:>8}")
    lines.append(
        f"{'all':<{width}}  {document['count']:>6}  {document['accuracy']:>8.3f}"
    )
    return "\n".join(lines)


def evaluate_model(min_accuracy: float, device_name: str = "cpu") -> dict[str, Any]:
    """Evaluate; write evaluation.json and reference.json; return the former."""
    model_path = paths.latest_model_path()
    if not model_path.is_file():
        raise EvaluationError(
            f"no model at {model_path}; train one first (nox -s train, or "
            "python -m training.train)"
        )
    try:
        model, metadata = load_checkpoint(model_path)
    except Exception as error:
        raise EvaluationError(f"cannot load the model {model_path}: {error}") from None
    device = select_device(device_name)
    model.to(device)

    samples = list_images(split_dir("evaluation"))
    predictions = predict_split(model, metadata["image_size"], samples, device)
    count = len(predictions.labels)
    correct = sum(
        label == predicted
        for label, predicted in zip(
            predictions.labels, predictions.predicted, strict=True
        )
    )
    majority = baseline_class(metadata)
    version = dataset_version()
    accuracy = round(correct / count, 6)
    class_counts = Counter(predictions.labels)
    document = {
        "accuracy": accuracy,
        "per_class_accuracy": per_class_accuracy(predictions),
        "per_class_count": {
            name: class_counts[index] for index, name in enumerate(LABELS)
        },
        "baseline_accuracy": (
            None
            if majority is None
            else round(baseline_accuracy(majority, predictions.labels), 6)
        ),
        "baseline_class": None if majority is None else LABELS[majority],
        "count": count,
        "model": str(model_path),
        "dataset_version": version,
        "trained_on_dataset_version": metadata.get("extra", {}).get("dataset_version"),
        "min_accuracy": min_accuracy,
        "passed": accuracy >= min_accuracy,
    }
    write_json(evaluation_metrics_path(), document)
    write_json(paths.reference_path(), reference_document(predictions, version))
    return document


def main(argv: Sequence[str] | None = None) -> int:
    config = from_command_line(
        argv, prog=PROG, description="Evaluate the latest model on held-out data."
    )
    try:
        document = evaluate_model(config.min_accuracy, config.device)
    except (ConfigError, DatasetError, EvaluationError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return CONFIG_ERROR_EXIT_CODE
    print(format_table(document))
    if document["baseline_accuracy"] is not None:
        print(
            f"baseline (always '{document['baseline_class']}'): "
            f"{document['baseline_accuracy']:.3f}"
        )
    print(f"metrics: {evaluation_metrics_path()}\nreference: {paths.reference_path()}")
    if not document["passed"]:
        print(
            f"{PROG}: quality gate failed: accuracy {document['accuracy']:.3f} is "
            f"below min_accuracy {document['min_accuracy']:.3f}",
            file=sys.stderr,
        )
        return GATE_FAILED_EXIT_CODE
    print(
        f"quality gate passed: accuracy {document['accuracy']:.3f} >= "
        f"min_accuracy {document['min_accuracy']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
