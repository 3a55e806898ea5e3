"""The training loop's own overhead and the data loader's pace.

`measure_loops` times the project's training step (`engine.train_epoch`)
against the smallest correct PyTorch loop on the same model, optimizer and
in-memory batches; `measure_loading` times the data loader alone, and the
loader feeding the step.
"""

import copy
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.model import loss_function, scaled_outputs
from {{ cookiecutter.package_name }}.spec import Spec

from ..acceleration import CompiledModel, choose_precision
from ..config import TrainingConfig
from ..datasets import Splits
from ..engine import train_epoch
from ..run_state import make_loader

Batches = list[tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class LoopRates:
    bare_samples_per_s: float
    project_samples_per_s: float

    @property
    def overhead(self) -> float:
        """The share of the bare loop's speed the project's loop loses."""
        return 1 - self.project_samples_per_s / self.bare_samples_per_s


@dataclass(frozen=True)
class LoadingRates:
    loader_samples_per_s: float
    step_samples_per_s: float
    together_samples_per_s: float
    num_workers: int

    @property
    def loader_is_bottleneck(self) -> bool:
        return self.loader_samples_per_s < self.step_samples_per_s


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rate(samples: int, started: float, device: torch.device) -> float:
    synchronize(device)
    return samples / (time.perf_counter() - started)


def bare_loop(
    spec: Spec,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Batches,
    device: torch.device,
) -> float:
    """The smallest correct PyTorch training loop: samples/s over ``batches``."""
    model.train()
    loss_of = loss_function(spec)
    started = time.perf_counter()
    for inputs, targets in batches:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss_of(scaled_outputs(spec, model(inputs)), targets).backward()
        optimizer.step()
    return _rate(sum(len(targets) for _, targets in batches), started, device)


def project_loop(
    config: TrainingConfig,
    spec: Spec,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
) -> float:
    """The project's training step (`engine.train_epoch`): samples/s."""
    precision = choose_precision(config.amp, device)
    runner = CompiledModel(model, config.compile)
    started = time.perf_counter()
    result = train_epoch(
        spec, runner, batches, optimizer, precision.grad_scaler(), precision, device
    )
    return _rate(result.samples, started, device)


def fresh_model(config: TrainingConfig, spec: Spec) -> torch.nn.Module:
    """The configured model, freshly seeded (no pretrained download)."""
    torch.manual_seed(config.seed)
    return problem.build_model(spec, config.arch, dropout=config.dropout)


def measure_loops(
    config: TrainingConfig,
    spec: Spec,
    batches: Batches,
    device: torch.device,
    rounds: int,
) -> LoopRates:
    initial = fresh_model(config, spec).to(device)

    def fresh() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
        model = copy.deepcopy(initial)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        return model, optimizer

    # Warm-up: first calls allocate memory and pick kernels.
    bare_loop(spec, *fresh(), batches[:2], device)
    project_loop(config, spec, *fresh(), batches[:2], device)
    bare = project = 0.0
    # The fastest of interleaved runs: both see the same machine load, and the
    # fastest is the least disturbed by other processes.
    for _ in range(rounds):
        bare = max(bare, bare_loop(spec, *fresh(), batches, device))
        project = max(project, project_loop(config, spec, *fresh(), batches, device))
    return LoopRates(round(bare, 1), round(project, 1))


def load_batches(
    config: TrainingConfig, data: Splits, steps: int, device: torch.device
) -> Batches:
    """The first ``steps`` shuffled training batches, encoded, in memory."""
    generator = torch.Generator().manual_seed(config.seed)
    loader = make_loader(data.training, config, device, generator)
    return list(itertools.islice(loader, steps))


def measure_loading(
    config: TrainingConfig,
    data: Splits,
    steps: int,
    device: torch.device,
    step_rate: float,
) -> LoadingRates:
    def loader() -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(config.seed)
        batches = make_loader(data.training, config, device, generator)
        return itertools.islice(batches, steps)

    started = time.perf_counter()
    loaded = sum(len(labels) for _, labels in loader())
    loader_rate = loaded / (time.perf_counter() - started)

    model = fresh_model(config, data.spec).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    together = project_loop(config, data.spec, model, optimizer, loader(), device)
    return LoadingRates(
        round(loader_rate, 1), step_rate, round(together, 1), config.num_workers
    )
