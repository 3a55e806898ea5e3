"""One epoch of a run: fit, validate, step the schedule; its record, the line
it prints, what the tracker receives, and the checkpoint written after it."""

from typing import Any

from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }} import quality
from {{ cookiecutter.package_name }}.spec import Spec

from . import checkpoints, distributed
from .config import TrainingConfig
from .engine import PassResult, evaluate, train_epoch
from .run_state import Hardware, State

# An epoch record's bookkeeping; its other keys are losses and scores.
BOOKKEEPING = (
    "epoch", "lr", "seconds", "train_seconds", "train_samples", "samples_per_s",
)  # fmt: skip


def run_epoch(
    epoch: int,
    spec: Spec,
    state: State,
    training_loader: DataLoader,
    validation_loader: DataLoader,
    hardware: Hardware,
) -> dict[str, Any]:
    """Fit one epoch, validate, step the schedule; the epoch's record (in history)."""
    learning_rate = state.optimizer.param_groups[0]["lr"]
    device, precision = hardware.device, hardware.precision
    trained = train_epoch(
        spec,
        state.train_runner,
        training_loader,
        state.optimizer,
        state.scaler,
        precision,
        device,
    )
    trained = distributed.combine(trained)  # every process's share, under torchrun
    validated = evaluate(spec, state.runner, validation_loader, precision, device)
    state.scheduler.step()
    record = {
        "epoch": epoch,
        "lr": _rounded(learning_rate),
        **scores("train", spec, trained),
        **scores("val", spec, validated),
        "seconds": round(trained.seconds + validated.seconds, 3),
        "train_seconds": round(trained.seconds, 3),
        "train_samples": trained.samples,
        "samples_per_s": round(trained.samples_per_s, 1),
    }
    state.history.append(record)
    return record


def scores(prefix: str, spec: Spec, result: PassResult) -> dict[str, float]:
    """The pass's loss and `quality.quality` figures: ``train_loss``,
    ``train_accuracy`` (classification) or ``train_mae``, ``train_rmse``, ..."""
    measured = quality.quality(spec, result.targets, result.predictions)
    figures = {"loss": result.loss}
    figures.update(
        (name, value)
        for name, value in measured.items()
        if name != "count" and isinstance(value, int | float)
    )
    return {f"{prefix}_{name}": _rounded(value) for name, value in figures.items()}


def final_scores(record: dict[str, Any]) -> dict[str, float]:
    """The losses and scores of an epoch's record."""
    return {key: value for key, value in record.items() if key not in BOOKKEEPING}


def save_training_state(config: TrainingConfig, state: State) -> None:
    checkpoints.save_training_state(
        checkpoints.last_checkpoint_path(),
        {
            "epoch": state.history[-1]["epoch"],
            "config": config.to_dict(),
            "model": state.model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "scheduler": state.scheduler.state_dict(),
            "scaler": state.scaler.state_dict(),
            "rng": checkpoints.rng_states(state.loader_generator),
            "history": state.history,
        },
    )


def epoch_line(spec: Spec, record: dict[str, Any], epochs: int) -> str:
    metric, _ = quality.primary_metric(spec)
    return (
        f"epoch {record['epoch']}/{epochs}: loss {record['train_loss']:.3f}, "
        f"{metric} {record[f'train_{metric}']:.3f}, validation {metric} "
        f"{record[f'val_{metric}']:.3f} ({record['seconds']:.1f} s, "
        f"{record['samples_per_s']:.0f} samples/s)"
    )


def tracked_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """``train_loss`` -> ``train/loss`` and so on, with the learning rate and cost."""
    named = {
        key.replace("_", "/", 1): value for key, value in final_scores(record).items()
    }
    return {
        **named,
        "lr": record["lr"],
        "cost/epoch_seconds": record["seconds"],
        "cost/samples_per_s": record["samples_per_s"],
    }


def _rounded(value: float) -> float:
    return round(float(value), 6)
