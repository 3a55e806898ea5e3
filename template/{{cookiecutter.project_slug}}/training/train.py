"""Train the classifier: ``python -m training.train [--config PATH] [key=value ...]``.

Reads the dataset's training and validation splits, trains as configured in
training/config.yaml, checkpoints every epoch (``resume=true`` continues), and
writes the model serving packages (artifacts/models/model.pt), the run's
metrics (artifacts/metrics/training.json) and a W&B run with the model as an
artifact. Exit codes: 0 trained; 2 the run could not start or go on (bad
config, no dataset, an unreadable image, nothing to resume); 130 interrupted.
"""

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.model import build_model, save_checkpoint

from . import checkpoints, distributed
from .acceleration import CompiledModel, Precision, choose_precision, select_device
from .config import (
    CONFIG_ERROR_EXIT_CODE,
    ConfigError,
    TrainingConfig,
    from_command_line,
)
from .datasets import (
    DatasetError,
    ImageFolderDataset,
    baseline_summary,
    dataset_version,
    majority_class,
    split_dir,
)
from .engine import evaluate, train_epoch
from .reports import training_metrics_path, write_json
from .tracking import Tracker, environment

PROG = "python -m training.train"
EpochCallback = Callable[[int], None]


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


def _rounded(value: float) -> float:
    return round(float(value), 6)


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
    device = select_device(config.device)
    if cluster.enabled:
        batch_size = distributed.per_process_batch_size(config.batch_size, cluster)
        device = distributed.start(cluster, device)
    precision = choose_precision(config.amp, device)
    checkpoints.seed_everything(config.seed)
    training_set = ImageFolderDataset(split_dir("training"), config.image_size)
    validation_set = ImageFolderDataset(split_dir("validation"), config.image_size)
    loader_generator = torch.Generator().manual_seed(config.seed)
    if cluster.enabled:
        sampler = distributed.shard_sampler(training_set, cluster, config.seed)
        train_loader = make_loader(
            training_set, config, device, loader_generator, sampler, batch_size
        )
    else:
        train_loader = make_loader(training_set, config, device, loader_generator)
    validation_loader = make_loader(validation_set, config, device)

    model = build_model(
        config.arch, pretrained=config.pretrained, dropout=config.dropout
    ).to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.epochs)
    scaler = precision.grad_scaler()
    history: list[dict[str, Any]] = []
    start_epoch = 0
    checkpoint_path = checkpoints.last_checkpoint_path()
    if config.resume:
        state = checkpoints.load_training_state(checkpoint_path, config.to_dict())
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        checkpoints.restore_rng_states(state["rng"], loader_generator)
        history, start_epoch = state["history"], state["epoch"]
        if cluster.is_main:
            print(f"resuming after epoch {start_epoch} of {config.epochs}")
    runner = CompiledModel(model, config.compile)
    # Under torchrun, training steps go through DDP (which averages gradients);
    # validation needs no exchange and runs on the plain module.
    train_runner = (
        CompiledModel(distributed.wrap(model, device), config.compile)
        if cluster.enabled
        else runner
    )

    env = environment(device)
    version = dataset_version()
    if not cluster.is_main:
        os.environ["WANDB_MODE"] = "disabled"  # one W&B run, by process 0
    tracker = Tracker.start(config, env)
    say = print if cluster.is_main else _silent
    say(
        f"training {config.arch} on {device} ({precision.name}, compile "
        f"{runner.status}"
        + (f", {cluster.world_size} processes" if cluster.enabled else "")
        + f"): {len(training_set)} training and {len(validation_set)} "
        f"validation images; W&B {tracker.mode}, run {tracker.run_id}"
    )
    try:
        for epoch in range(start_epoch + 1, config.epochs + 1):
            if isinstance(train_loader.sampler, DistributedSampler):
                train_loader.sampler.set_epoch(epoch)
            record = _run_epoch(
                epoch, train_runner, runner, train_loader, validation_loader,
                optimizer, scaler, precision, device,
            )  # fmt: skip
            scheduler.step()
            history.append(record)
            tracker.log_epoch(epoch, _wandb_epoch_metrics(record))
            if not cluster.is_main:
                continue
            checkpoints.save_training_state(
                checkpoint_path,
                {
                    "epoch": epoch,
                    "config": config.to_dict(),
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict(),
                    "rng": checkpoints.rng_states(loader_generator),
                    "history": history,
                },
            )
            print(
                f"epoch {epoch}/{config.epochs}: loss {record['train_loss']:.3f}, "
                f"accuracy {record['train_accuracy']:.3f}, validation accuracy "
                f"{record['val_accuracy']:.3f} ({record['seconds']:.1f} s, "
                f"{record['samples_per_s']:.0f} samples/s)"
            )
            if after_epoch is not None:
                after_epoch(epoch)

        majority = majority_class(training_set.labels)
        baseline = baseline_summary(majority, validation_set.labels)
        last = history[-1]
        model_path = paths.latest_model_path()
        if cluster.is_main:
            save_checkpoint(
                model_path,
                model,  # the plain module: compiled or DDP keys carry a prefix
                arch=config.arch,
                image_size=config.image_size,
                extra={
                    "metrics": {key: last[key] for key in _FINAL_METRICS},
                    "baseline": baseline,
                    "dataset_version": version,
                    "wandb_run_id": tracker.run_id,
                    "config": config.to_dict(),
                },
            )
            tracker.log_model(
                model_path,
                {
                    "arch": config.arch,
                    "image_size": config.image_size,
                    "val_accuracy": last["val_accuracy"],
                    "baseline_accuracy": baseline["accuracy"],
                    "dataset_version": version,
                },
            )
        train_seconds = sum(record["train_seconds"] for record in history)
        train_samples = sum(record["train_samples"] for record in history)
        cost = {
            "wall_time_s": round(time.perf_counter() - started, 3),
            "train_seconds": round(train_seconds, 3),
            "samples_per_s": round(train_samples / train_seconds, 1),
            "device": str(device),
            "device_name": env["device_name"],
        }
        tracker.summarize(
            {
                "val/accuracy": last["val_accuracy"],
                "baseline/accuracy": baseline["accuracy"],
                "baseline/class": baseline["class"],
                **{f"cost/{key}": value for key, value in cost.items()},
                "precision": precision.name,
                "compile": runner.status,
                "dataset_version": version,
            }
        )
    except BaseException:
        tracker.finish(exit_code=1)
        raise
    tracker.finish()

    document = {
        "run_id": tracker.run_id,
        "wandb_mode": tracker.mode,
        "wandb_run_dir": tracker.run_dir,
        "model": str(model_path),
        "dataset_version": version,
        "training_images": len(training_set),
        "validation_images": len(validation_set),
        **{key: last[key] for key in _FINAL_METRICS},
        "baseline": baseline,
        "cost": cost,
        "processes": cluster.world_size,
        "precision": precision.name,
        "compile": runner.status,
        "resumed_after_epoch": start_epoch if config.resume else None,
        "epochs": history,
        "config": config.to_dict(),
        "environment": env,
    }
    if cluster.is_main:
        write_json(training_metrics_path(), document)
    return document


_FINAL_METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


def _run_epoch(
    epoch: int,
    train_runner: CompiledModel,
    runner: CompiledModel,
    train_loader: DataLoader,
    validation_loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    precision: Precision,
    device: torch.device,
) -> dict[str, Any]:
    learning_rate = optimizer.param_groups[0]["lr"]
    trained = distributed.combine(
        train_epoch(train_runner, train_loader, optimizer, scaler, precision, device)
    )
    validated = evaluate(runner, validation_loader, precision, device)
    return {
        "epoch": epoch,
        "lr": _rounded(learning_rate),
        "train_loss": _rounded(trained.loss),
        "train_accuracy": _rounded(trained.accuracy),
        "val_loss": _rounded(validated.loss),
        "val_accuracy": _rounded(validated.accuracy),
        "seconds": round(trained.seconds + validated.seconds, 3),
        "train_seconds": round(trained.seconds, 3),
        "train_samples": trained.samples,
        "samples_per_s": round(trained.samples_per_s, 1),
    }


def _silent(*_: object) -> None:
    """`print` for the processes other than 0, so each line appears once."""


def _wandb_epoch_metrics(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "train/loss": record["train_loss"],
        "train/accuracy": record["train_accuracy"],
        "val/loss": record["val_loss"],
        "val/accuracy": record["val_accuracy"],
        "lr": record["lr"],
        "cost/epoch_seconds": record["seconds"],
        "cost/samples_per_s": record["samples_per_s"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    config = from_command_line(argv, prog=PROG, description="Train the classifier.")
    try:
        document = train(config)
    except (ConfigError, DatasetError, checkpoints.ResumeError) as error:
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
    baseline = document["baseline"]
    print(
        f"validation accuracy {document['val_accuracy']:.3f} (baseline: always "
        f"'{baseline['class']}', {baseline['accuracy']:.3f}); "
        f"{document['cost']['wall_time_s']:.1f} s on {document['cost']['device']}\n"
        f"model: {document['model']}\nmetrics: {training_metrics_path()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
