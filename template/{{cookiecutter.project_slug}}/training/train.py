"""Train the model: ``python -m training.train [--config PATH] [key=value ...]``.

Reads the dataset's training and validation splits, fits the problem's
preprocessing on the training split, trains as configured in
training/config.yaml, checkpoints every epoch (``resume=true`` continues), and
writes the model serving packages (artifacts/models/model.pt, holding the
fitted spec), the run's metrics (artifacts/metrics/training.json) and a W&B run
with the model as an artifact. Exit codes: 0 trained; 2 the run could not start
or go on (bad config, no dataset, an unreadable example, nothing to resume);
130 interrupted.

`train` reads as its steps: choose the hardware, load the splits, build the
model (or resume it), start tracking, then per epoch fit, validate, record and
checkpoint, and finish with the model and the run's summary.
"""

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from {{ cookiecutter.package_name }} import paths, problem, quality
from {{ cookiecutter.package_name }}.model import save_checkpoint
from {{ cookiecutter.package_name }}.spec import ProblemDataError, Spec

from . import checkpoints, distributed
from .acceleration import CompiledModel, Precision, choose_precision, select_device
from .config import (
    CONFIG_ERROR_EXIT_CODE,
    ConfigError,
    TrainingConfig,
    from_command_line,
)
from .datasets import Splits, dataset_version, load_splits
from .engine import PassResult, evaluate, train_epoch
from .reports import baseline_text, training_metrics_path, write_json
from .tracking import Tracker, environment

PROG = "python -m training.train"
EpochCallback = Callable[[int], None]
# An epoch record's bookkeeping; its other keys are losses and scores.
BOOKKEEPING = (
    "epoch", "lr", "seconds", "train_seconds", "train_samples", "samples_per_s",
)  # fmt: skip


@dataclass(frozen=True)
class Hardware:
    """Where and how this process trains, and its part of each batch."""

    cluster: distributed.Cluster
    device: torch.device
    precision: Precision
    batch_size: int
    environment: dict[str, Any]

    def say(self, text: str) -> None:
        """Print from process 0 only, so each line appears once under torchrun."""
        if self.cluster.is_main:
            print(text)


@dataclass
class State:
    """What every epoch changes, and what a checkpoint saves and resuming restores."""

    model: nn.Module  # the plain module: what checkpoints save
    runner: CompiledModel  # validation runs the plain module
    train_runner: CompiledModel  # training steps (through DDP under torchrun)
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    loader_generator: torch.Generator
    history: list[dict[str, Any]]
    resumed_after_epoch: int | None = None


def make_loader(
    dataset: Dataset,
    config: TrainingConfig,
    device: torch.device,
    generator: torch.Generator | None = None,
    sampler: DistributedSampler | None = None,
    batch_size: int | None = None,
) -> DataLoader:
    """A loader that shuffles (with ``generator``, so reproducibly) if given one.

    Workers are not kept between epochs: each epoch's iterator then draws its
    worker seed and its shuffle from ``generator`` alike, whether the run was
    resumed or not, which keeps resumed runs identical to uninterrupted ones.
    Under torchrun, ``sampler`` gives this process its share of the data (and
    shuffles it), and ``batch_size`` is this process's part of the batch.
    """
    return DataLoader(
        dataset,
        batch_size=batch_size or config.batch_size,
        shuffle=generator is not None and sampler is None,
        sampler=sampler,
        generator=generator,
        num_workers=config.num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=False,
    )


def train(
    config: TrainingConfig, *, after_epoch: EpochCallback | None = None
) -> dict[str, Any]:
    """Train as configured; return what is written to training.json.

    ``after_epoch(epoch)`` is called once each epoch's checkpoint is on disk.
    """
    cluster = distributed.cluster_from_env()
    try:
        return _train(config, cluster, after_epoch)
    finally:
        distributed.stop(cluster)


def _train(
    config: TrainingConfig,
    cluster: distributed.Cluster,
    after_epoch: EpochCallback | None,
) -> dict[str, Any]:
    started = time.perf_counter()
    hardware = choose_hardware(config, cluster)
    checkpoints.seed_everything(config.seed)
    data = load_splits(config.to_dict())
    state = resume_or_start(config, data.spec, hardware)
    training_loader = make_training_loader(config, data, hardware, state)
    validation_loader = make_loader(data.validation, config, hardware.device)
    tracker = start_tracking(config, hardware, data, state)
    try:
        for epoch in range(len(state.history) + 1, config.epochs + 1):
            if isinstance(training_loader.sampler, DistributedSampler):
                training_loader.sampler.set_epoch(epoch)
            record = run_epoch(
                epoch, data.spec, state, training_loader, validation_loader, hardware
            )
            tracker.log_epoch(epoch, wandb_metrics(record))
            if cluster.is_main:
                save_training_state(config, state)
                print(epoch_line(data.spec, record, config.epochs))
                if after_epoch is not None:
                    after_epoch(epoch)
        document = finish(config, data, state, tracker, hardware, started)
    except BaseException:
        tracker.finish(exit_code=1)
        raise
    tracker.finish()
    if cluster.is_main:
        write_json(training_metrics_path(), document)
    return document


def choose_hardware(config: TrainingConfig, cluster: distributed.Cluster) -> Hardware:
    """The device (this process's GPU under torchrun), precision and batch share."""
    device = select_device(config.device)
    batch_size = config.batch_size
    if cluster.enabled:
        batch_size = distributed.per_process_batch_size(config.batch_size, cluster)
        device = distributed.start(cluster, device)
    precision = choose_precision(config.amp, device)
    return Hardware(cluster, device, precision, batch_size, environment(device))


def resume_or_start(config: TrainingConfig, spec: Spec, hardware: Hardware) -> State:
    """A fresh model and optimizer, or both as the last checkpoint left them."""
    device = hardware.device
    try:
        model = problem.build_model(
            spec, config.arch, pretrained=config.pretrained, dropout=config.dropout
        ).to(device)
    except ValueError as error:  # a setting this problem's model cannot take
        raise ConfigError(str(error)) from None
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    runner = CompiledModel(model, config.compile)
    state = State(
        model=model,
        runner=runner,
        train_runner=runner,
        optimizer=optimizer,
        scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.epochs),
        scaler=hardware.precision.grad_scaler(),
        loader_generator=torch.Generator().manual_seed(config.seed),
        history=[],
    )
    if config.resume:
        restore(state, config)
        hardware.say(f"resuming after epoch {len(state.history)} of {config.epochs}")
    if hardware.cluster.enabled:
        # Training steps go through DDP (which averages gradients, and makes
        # every process start from process 0's weights); validation needs no
        # exchange and runs on the plain module.
        wrapped = distributed.wrap(model, device)
        state.train_runner = CompiledModel(wrapped, config.compile)
    return state


def restore(state: State, config: TrainingConfig) -> None:
    saved = checkpoints.load_training_state(
        checkpoints.last_checkpoint_path(), config.to_dict()
    )
    state.model.load_state_dict(saved["model"])
    state.optimizer.load_state_dict(saved["optimizer"])
    state.scheduler.load_state_dict(saved["scheduler"])
    if saved["scaler"]:
        state.scaler.load_state_dict(saved["scaler"])
    checkpoints.restore_rng_states(saved["rng"], state.loader_generator)
    state.history = saved["history"]
    state.resumed_after_epoch = saved["epoch"]


def make_training_loader(
    config: TrainingConfig, data: Splits, hardware: Hardware, state: State
) -> DataLoader:
    """Shuffled by the seeded generator; under torchrun, this process's share."""
    if not hardware.cluster.enabled:
        return make_loader(
            data.training, config, hardware.device, state.loader_generator
        )
    sampler = distributed.shard_sampler(data.training, hardware.cluster, config.seed)
    return make_loader(
        data.training,
        config,
        hardware.device,
        state.loader_generator,
        sampler,
        hardware.batch_size,
    )


def start_tracking(
    config: TrainingConfig, hardware: Hardware, data: Splits, state: State
) -> Tracker:
    """The W&B run (process 0's only), announced with what this run trains."""
    if not hardware.cluster.is_main:
        os.environ["WANDB_MODE"] = "disabled"  # one W&B run, by process 0
    tracker = Tracker.start(config, hardware.environment)
    processes = hardware.cluster.world_size
    hardware.say(
        f"training {config.arch} for {data.spec.task} on {hardware.device} "
        f"({hardware.precision.name}, compile {state.runner.status}"
        + (f", {processes} processes" if processes > 1 else "")
        + f"): {len(data.training)} training and {len(data.validation)} "
        f"validation examples; W&B {tracker.mode}, run {tracker.run_id}"
    )
    return tracker


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


def wandb_metrics(record: dict[str, Any]) -> dict[str, Any]:
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
        "wandb_mode": tracker.mode,
        "wandb_run_dir": tracker.run_dir,
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
    """The checkpoint serving packages (with the fitted spec), and its W&B artifact."""
    model_path = save_checkpoint(
        paths.latest_model_path(),
        state.model,  # the plain module: compiled or DDP keys carry a prefix
        spec=spec,
        arch=config.arch,
        extra={
            "metrics": figures,
            "baseline": baseline,
            "dataset_version": version,
            "wandb_run_id": tracker.run_id,
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


def _rounded(value: float) -> float:
    return round(float(value), 6)


def main(argv: Sequence[str] | None = None) -> int:
    config = from_command_line(argv, prog=PROG, description="Train the model.")
    try:
        document = train(config)
    except (ConfigError, ProblemDataError, checkpoints.ResumeError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return CONFIG_ERROR_EXIT_CODE
    except KeyboardInterrupt:
        print(
            f"{PROG}: interrupted; continue from the last finished epoch with "
            f"resume=true ({checkpoints.last_checkpoint_path()})",
            file=sys.stderr,
        )
        return 130
    if not distributed.cluster_from_env().is_main:
        return 0
    metric = document["metric"]
    print(
        f"validation {metric} {document[f'val_{metric}']:.3f}; baseline: "
        f"{baseline_text(document['baseline'])}; "
        f"{document['cost']['wall_time_s']:.1f} s on {document['cost']['device']}\n"
        f"model: {document['model']}\nmetrics: {training_metrics_path()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
