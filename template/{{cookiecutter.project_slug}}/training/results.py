"""The end of a run: the checkpoint serving packages, its registered model, and
the run's summary (training.json)."""

import time
from typing import Any

from {{ cookiecutter.package_name }} import paths, quality
from {{ cookiecutter.package_name }}.model import save_checkpoint
from {{ cookiecutter.package_name }}.spec import Spec

from .config import TrainingConfig
from .datasets import Splits, dataset_version
from .epochs import final_scores
from .run_state import Hardware, State
from .tracking import Tracker


def finish(
    config: TrainingConfig,
    data: Splits,
    state: State,
    tracker: Tracker,
    hardware: Hardware,
    started: float,
) -> dict[str, Any]:
    """Save the model serving packages and the run's summary; return training.json."""
    spec = data.spec
    metric, higher_is_better = quality.primary_metric(spec)
    baseline = quality.baseline(spec, data.training.targets, data.validation.targets)
    last = final_scores(state.history[-1])
    version = dataset_version()
    model_path = paths.latest_model_path()
    if hardware.cluster.is_main:
        save_model(config, spec, state, tracker, last, baseline, version)
    cost = run_cost(state.history, hardware, started)
    tracker.summarize(
        {
            f"val/{metric}": last[f"val_{metric}"],
            f"baseline/{metric}": baseline[metric],
            "baseline/prediction": baseline["prediction"],
            **{f"cost/{key}": value for key, value in cost.items()},
            "precision": hardware.precision.name,
            "compile": state.runner.status,
            "dataset_version": version,
        }
    )
    return {
        "task": spec.task,
        "run_id": tracker.run_id,
        "tracking": tracker.record(),
        "model": str(model_path),
        "dataset_version": version,
        "training_examples": len(data.training),
        "validation_examples": len(data.validation),
        "metric": metric,
        "higher_is_better": higher_is_better,
        **last,
        "baseline": baseline,
        "cost": cost,
        "processes": hardware.cluster.world_size,
        "precision": hardware.precision.name,
        "compile": state.runner.status,
        "resumed_after_epoch": state.resumed_after_epoch,
        "epochs": state.history,
        "config": config.to_dict(),
        "environment": hardware.environment,
    }


def save_model(
    config: TrainingConfig,
    spec: Spec,
    state: State,
    tracker: Tracker,
    figures: dict[str, float],
    baseline: dict[str, Any],
    version: str | None,
) -> None:
    """The checkpoint serving packages (with the fitted spec), and its tracker model."""
    model_path = save_checkpoint(
        paths.latest_model_path(),
        state.model,  # the plain module: compiled or DDP keys carry a prefix
        spec=spec,
        arch=config.arch,
        extra={
            "metrics": figures,
            "baseline": baseline,
            "dataset_version": version,
            "run_id": tracker.run_id,
            "config": config.to_dict(),
        },
    )
    metric, _ = quality.primary_metric(spec)
    tracker.log_model(
        model_path,
        {
            "task": spec.task,
            "arch": config.arch,
            f"val_{metric}": figures[f"val_{metric}"],
            f"baseline_{metric}": baseline[metric],
            "dataset_version": version,
        },
    )


def run_cost(
    history: list[dict[str, Any]], hardware: Hardware, started: float
) -> dict[str, Any]:
    train_seconds = sum(record["train_seconds"] for record in history)
    train_samples = sum(record["train_samples"] for record in history)
    return {
        "wall_time_s": round(time.perf_counter() - started, 3),
        "train_seconds": round(train_seconds, 3),
        "samples_per_s": round(train_samples / train_seconds, 1),
        "device": str(hardware.device),
        "device_name": hardware.environment["device_name"],
    }
