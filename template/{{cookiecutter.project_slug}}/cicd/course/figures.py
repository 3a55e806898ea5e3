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

# The per-epoch metric a training history may hold beside the loss
# (train_<name> and val_<name>): a classifier's accuracy, a regressor's MAE.
EPOCH_METRICS = {"accuracy": "Accuracy", "mae": "Mean absolute error"}


def training_curve(training: dict, target: Path) -> None:
    records = training["epochs"]
    epochs = [record["epoch"] for record in records]
    metrics = [name for name in EPOCH_METRICS if f"val_{name}" in records[0]]
    panels = ["loss", *metrics[:1]]
    figure = plt.figure(figsize=(4.5 * len(panels), 3.5))
    figure.subplots(1, len(panels))
    for name, axis in zip(panels, figure.axes, strict=True):
        for prefix, label in (("train", "training"), ("val", "validation")):
            values = [record[f"{prefix}_{name}"] for record in records]
            axis.plot(epochs, values, "o-", label=label)
        axis.set(title=EPOCH_METRICS.get(name, "Loss"), xlabel="epoch")
        axis.legend()
    if "accuracy" in panels:
        figure.axes[panels.index("accuracy")].set_ylim(0, 1)
    save(figure, target)


def offline_quality(evaluation: dict, target: Path) -> None:
    """A classifier's accuracy per class, or a regressor's error vs the baseline."""
    if evaluation["metric"] == "accuracy":
        per_class_accuracy(evaluation, target)
    else:
        error_against_baseline(evaluation, target)


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
    axes.axhline(evaluation["bar"], color="crimson", linestyle=":", label="bar")
    axes.set(title="Offline accuracy per class", ylim=(0, 1.15))
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(loc="lower right")
    save(figure, target)


def error_against_baseline(evaluation: dict, target: Path) -> None:
    baseline = evaluation["baseline"]
    names = ["model", baseline["name"]]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    for offset, metric in ((-0.2, "mae"), (0.2, "rmse")):
        values = [evaluation[metric], baseline[metric]]
        places = [index + offset for index in range(len(names))]
        bars = axes.bar(places, values, 0.4, label=metric.upper())
        axes.bar_label(bars, fmt="%.3g", fontsize=8)
    # The largest MAE that passes: the bar times the baseline's.
    allowed = evaluation["bar"] * baseline["mae"]
    axes.axhline(allowed, color="crimson", linestyle=":", label="largest MAE passing")
    axes.set_xticks(range(len(names)), names)
    axes.set(title="Offline error against the baseline")
    axes.legend(loc="upper left")
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
    # The name predates regression models; milestones.yml files refer to it.
    "per-class-accuracy": (
        paths.evaluation_path,
        offline_quality,
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
