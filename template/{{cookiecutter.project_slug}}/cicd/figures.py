"""Pictures for the demo report, drawn from the artifacts the rooms write.

Each figure reads one JSON artifact and writes a PNG; a missing or reshaped
artifact gives a sentence saying so instead of a picture.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI or over SSH

import matplotlib.pyplot as plt

from {{ cookiecutter.package_name }} import paths


def training_curve(training: dict, target: Path) -> None:
    epochs = [record["epoch"] for record in training["epochs"]]
    figure, (loss, accuracy) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, label in (("train_loss", "training"), ("val_loss", "validation")):
        loss.plot(
            epochs, [record[key] for record in training["epochs"]], "o-", label=label
        )
    for key, label in (("train_accuracy", "training"), ("val_accuracy", "validation")):
        accuracy.plot(
            epochs, [record[key] for record in training["epochs"]], "o-", label=label
        )
    loss.set(title="Loss", xlabel="epoch")
    accuracy.set(title="Accuracy", xlabel="epoch", ylim=(0, 1))
    loss.legend()
    accuracy.legend()
    save(figure, target)


def per_class_accuracy(evaluation: dict, target: Path) -> None:
    per_class = evaluation["per_class_accuracy"]
    names = list(per_class)
    # A class absent from the evaluation split has no accuracy: drawn as 0, labelled.
    values = [per_class[name] or 0.0 for name in names]
    figure, axes = plt.subplots(figsize=(9, 3.5))
    bars = axes.bar(names, values)
    labels = [
        "n/a" if per_class[name] is None else f"{per_class[name]:.2f}" for name in names
    ]
    axes.bar_label(bars, labels=labels, fontsize=8)
    axes.axhline(evaluation["accuracy"], color="black", linestyle="--", label="overall")
    axes.set(title="Offline accuracy per class", ylim=(0, 1.15))
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(loc="lower right")
    save(figure, target)


def serving_latency(smoke: dict, target: Path) -> None:
    latency = smoke["latency_ms"]
    names = [name for name in ("p50", "p95") if latency.get(name) is not None]
    if not names:
        raise ValueError("the smoke check measured no latency")
    figure, axes = plt.subplots(figsize=(5, 3.5))
    bars = axes.bar(names, [latency[name] for name in names])
    axes.bar_label(bars, fmt="%.1f ms")
    axes.set(
        title=f"Serving latency over {smoke['predictions_answered']} predictions",
        ylabel="ms",
    )
    save(figure, target)


def save(figure, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    plt.close(figure)


FIGURES: dict[str, tuple[Callable[[], Path], Callable[[dict, Path], None]]] = {
    "training-curve": (lambda: paths.metrics_dir() / "training.json", training_curve),
    "per-class-accuracy": (
        lambda: paths.metrics_dir() / "evaluation.json",
        per_class_accuracy,
    ),
    "serving-latency": (
        lambda: paths.artifacts_dir() / "serving" / "smoke.json",
        serving_latency,
    ),
}


def draw(name: str, folder: Path) -> tuple[Path | None, str]:
    """The PNG for figure ``name`` in ``folder``, or None and the reason."""
    locate, plot = FIGURES[name]
    source = locate()
    try:
        artifact = json.loads(source.read_text())
    except (OSError, json.JSONDecodeError) as error:
        reason = error.__class__.__name__
        return None, f"no figure: cannot read {source.name} ({reason})"
    target = folder / f"{name}.png"
    try:
        plot(artifact, target)
    except (KeyError, TypeError, ValueError) as error:
        return None, f"no figure: {source.name} has an unexpected shape ({error!r})"
    return target, ""
