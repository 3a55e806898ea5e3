"""Judge the latest model offline: ``python -m training.evaluate [key=value ...]``.

Runs `paths.latest_model_path()` over the dataset's held-out evaluation split
and writes

- artifacts/metrics/evaluation.json: the problem's quality figures (accuracy
  and per-class accuracy, or mean absolute and root mean squared error), the
  model-free baseline (`quality.baseline`) and the quality gate's verdict;
- artifacts/monitoring/reference.json: the drift features of the held-out
  validation inputs and the model's predictions on them, which monitoring
  compares production traffic with. Held out, because a model is more
  confident on the examples it was trained on than it will be in production.

Exit codes: 0 the model passed the gate; 1 it did not (``quality_bar`` in
training/config.yaml, see `quality.passes`); 2 it could not be evaluated.
"""

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from {{ cookiecutter.package_name }} import paths, problem, quality
from {{ cookiecutter.package_name }}.model import load_checkpoint, predict
from {{ cookiecutter.package_name }}.spec import Example, ProblemDataError, Spec, read_spec

from .acceleration import select_device
from .config import CONFIG_ERROR_EXIT_CODE, ConfigError, from_command_line
from .datasets import dataset_version, read_examples
from .reports import baseline_text, write_json

PROG = "python -m training.evaluate"
BATCH_SIZE = 64
GATE_FAILED_EXIT_CODE = 1


class EvaluationError(RuntimeError):
    """The model or the dataset cannot be used."""


@dataclass
class Predictions:
    """The model's answers on a split, example by example, and the inputs' features."""

    targets: list[Any] = field(default_factory=list)
    predicted: list[Any] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)  # classification only
    features: dict[str, list[float]] = field(default_factory=dict)

    def add(self, spec: Spec, outputs: torch.Tensor) -> None:
        """`model.predict` output: probabilities per class, or values."""
        if spec.classification:
            top, index = outputs.max(dim=1)
            self.predicted.extend(spec.labels[i] for i in index.tolist())
            self.confidence.extend(round(float(p), 6) for p in top.tolist())
        else:
            self.predicted.extend(round(float(v), 6) for v in outputs.tolist())


def predict_split(
    model: torch.nn.Module, spec: Spec, examples: list[Example], device: torch.device
) -> Predictions:
    """Predict every example, decoding each once for the model and its features."""
    result = Predictions(
        features={name: [] for name in problem.drift_feature_names(spec)}
    )
    for start in range(0, len(examples), BATCH_SIZE):
        encoded = []
        for example in examples[start : start + BATCH_SIZE]:
            decoded = problem.load_input(example)
            for name, value in problem.drift_features(spec, decoded).items():
                result.features[name].append(value)
            encoded.append(problem.encode_input(spec, decoded))
            result.targets.append(example.target)
        batch = torch.from_numpy(np.stack(encoded)).to(device)
        result.add(spec, predict(spec, model, batch).cpu())
    return result


def load_model(path: Path) -> tuple[torch.nn.Module, Spec, dict[str, Any]]:
    """The latest model, if it was trained on the problem the dataset states."""
    if not path.is_file():
        raise EvaluationError(
            f"no model at {path}; train one first (nox -s train, or "
            "python -m training.train)"
        )
    try:
        model, spec, metadata = load_checkpoint(path)
    except Exception as error:
        raise EvaluationError(f"cannot load the model {path}: {error}") from None
    stated = read_spec(paths.dataset_dir())
    if (spec.task, spec.labels, spec.features, spec.target) != (
        stated.task, stated.labels, stated.features, stated.target,
    ):  # fmt: skip
        raise EvaluationError(
            f"the model {path} was trained on another problem than the dataset's "
            f"{paths.dataset_dir()} (its labels, features or target differ); "
            "train again"
        )
    return model, spec, metadata


def reference_document(
    spec: Spec, predictions: Predictions, version: str | None
) -> dict[str, Any]:
    """The drift reference: held-out inputs' features and the model's answers."""
    count = len(predictions.predicted)
    document: dict[str, Any] = {
        "task": spec.task,
        "source": "validation split",
        "dataset_version": version,
        "count": count,
        "features": predictions.features,
    }
    if spec.classification:
        shares = Counter(predictions.predicted)
        document["predictions"] = {
            label: round(shares[label] / count, 6) for label in spec.labels
        }
        document["confidence"] = predictions.confidence
    else:
        document["values"] = predictions.predicted
    return document


def evaluation_document(
    spec: Spec, bar: float, evaluation: Predictions, training_targets: list[Any]
) -> dict[str, Any]:
    """evaluation.json: quality, baseline and verdict at the top level."""
    metric, higher_is_better = quality.primary_metric(spec)
    measured = quality.quality(spec, evaluation.targets, evaluation.predicted)
    baseline = quality.baseline(spec, training_targets, evaluation.targets)
    document = {
        "task": spec.task,
        "split": "evaluation",
        **measured,
        "metric": metric,
        "higher_is_better": higher_is_better,
        "bar": bar,
        "passed": quality.passes(spec, measured, baseline, bar),
        "baseline": baseline,
    }
    if spec.classification:
        counts = Counter(evaluation.targets)
        document["per_class_count"] = {label: counts[label] for label in spec.labels}
        document["min_accuracy"] = bar  # the bar's former name, for older readers
    return document


def evaluate_model(bar: float, device_name: str = "cpu") -> dict[str, Any]:
    """Evaluate; write evaluation.json and reference.json; return the former."""
    model_path = paths.latest_model_path()
    model, spec, metadata = load_model(model_path)
    device = select_device(device_name)
    model.to(device)
    evaluation = predict_split(model, spec, read_examples("evaluation", spec), device)
    validation = predict_split(model, spec, read_examples("validation", spec), device)
    training_targets = [example.target for example in read_examples("training", spec)]
    version = dataset_version()
    document = {
        **evaluation_document(spec, bar, evaluation, training_targets),
        "model": str(model_path),
        "dataset_version": version,
        "trained_on_dataset_version": metadata.get("extra", {}).get("dataset_version"),
    }
    write_json(paths.evaluation_path(), document)
    write_json(paths.reference_path(), reference_document(spec, validation, version))
    return document


def format_table(document: dict[str, Any]) -> str:
    """Per-class accuracy (classification), or the errors beside the baseline's."""
    if "per_class_accuracy" not in document:
        baseline = document["baseline"]
        lines = [f"{'metric':<6}  {'model':>10}  {'baseline':>10}"]
        for name in ("mae", "rmse"):
            lines.append(f"{name:<6}  {document[name]:>10.3f}  {baseline[name]:>10.3f}")
        lines.append(f"{'count':<6}  {document['count']:>10}")
        return "\n".join(lines)
    width = max(len(name) for name in document["per_class_accuracy"])
    lines = [f"{'class':<{width}}  examples  accuracy"]
    for name, accuracy in document["per_class_accuracy"].items():
        shown = "-" if accuracy is None else f"{accuracy:.3f}"
        count = document["per_class_count"][name]
        lines.append(f"{name:<{width}}  {count:>8}  {shown:>8}")
    lines.append(
        f"{'all':<{width}}  {document['count']:>8}  {document['accuracy']:>8.3f}"
    )
    return "\n".join(lines)


def gate_text(document: dict[str, Any]) -> str:
    """The measured figure against the bar, e.g. for the gate's verdict."""
    metric, bar = document["metric"], document["bar"]
    value, base = document[metric], document["baseline"][metric]
    if document["higher_is_better"]:
        return (
            f"{metric} {value:.3f} against the bar {bar:.3f} "
            f"(and the baseline's {base:.3f}, to beat)"
        )
    return (
        f"{metric} {value:.3f} against the bar {bar:.3f} x the baseline's "
        f"{base:.3f} = {bar * base:.3f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    config = from_command_line(
        argv, prog=PROG, description="Evaluate the latest model on held-out data."
    )
    try:
        document = evaluate_model(config.quality_bar, config.device)
    except (ConfigError, ProblemDataError, EvaluationError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return CONFIG_ERROR_EXIT_CODE
    print(format_table(document))
    print(f"baseline: {baseline_text(document['baseline'])}")
    print(f"metrics: {paths.evaluation_path()}\nreference: {paths.reference_path()}")
    if not document["passed"]:
        print(f"{PROG}: quality gate failed: {gate_text(document)}", file=sys.stderr)
        return GATE_FAILED_EXIT_CODE
    print(f"quality gate passed: {gate_text(document)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
