"""What a training run sets up: its hardware, its model and optimizer state
(fresh, or resumed from the last checkpoint), and its data loaders."""

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.spec import Spec

from . import checkpoints, distributed
from .acceleration import CompiledModel, Precision, choose_precision, select_device
from .config import ConfigError, TrainingConfig
from .datasets import Splits
from .environment import environment


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
