"""One pass over a data loader: a training epoch, or a validation pass.

Both return the mean loss and every example's target and prediction in the
problem's own terms (label names, or numbers in the target's units), which
`quality.quality` scores the same way for training, validation and evaluation.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }}.model import (
    from_outputs,
    loss_function,
    scaled_outputs,
)
from {{ cookiecutter.package_name }}.spec import Spec

from .acceleration import CompiledModel, Precision

Forward = Callable[[torch.Tensor], torch.Tensor]
Batches = DataLoader | Iterable[tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class PassResult:
    loss: float
    samples: int
    seconds: float
    targets: list[Any]
    predictions: list[Any]

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else 0.0


class Tally:
    """A pass's loss and answers, batch by batch; read out once at the end."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.started = time.perf_counter()
        self.loss_sum = 0.0
        self.samples = 0
        self.answers: list[torch.Tensor] = []
        self.targets: list[torch.Tensor] = []

    def add(self, outputs: torch.Tensor, targets: torch.Tensor, loss: float) -> None:
        """One batch: raw outputs (float32), encoded targets, the batch's mean loss."""
        self.loss_sum += loss * targets.shape[0]
        self.samples += targets.shape[0]
        if self.spec.classification:
            self.answers.append(outputs.argmax(1))
        else:
            self.answers.append(from_outputs(self.spec, outputs))
        self.targets.append(targets)

    def result(self) -> PassResult:
        targets, predictions = in_problem_terms(
            self.spec, torch.cat(self.targets).cpu(), torch.cat(self.answers).cpu()
        )
        return PassResult(
            self.loss_sum / self.samples,
            self.samples,
            time.perf_counter() - self.started,
            targets,
            predictions,
        )


def in_problem_terms(
    spec: Spec, encoded_targets: torch.Tensor, answers: torch.Tensor
) -> tuple[list[Any], list[Any]]:
    """Encoded targets and answers (class indices, or values) -> labels or numbers."""
    if spec.classification:
        labels = spec.labels
        return (
            [labels[index] for index in encoded_targets.tolist()],
            [labels[index] for index in answers.tolist()],
        )
    # The loss compares the targets with the raw outputs, so both are on one
    # scale, and the unscaling that turns outputs into values turns targets back.
    return from_outputs(spec, encoded_targets).tolist(), answers.tolist()


def train_epoch(
    spec: Spec,
    runner: CompiledModel,
    loader: Batches,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    precision: Precision,
    device: torch.device,
) -> PassResult:
    runner.model.train()
    loss_of = loss_function(spec)
    tally = Tally(spec)
    for inputs, targets in loader:
        inputs = inputs.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)

        def step(
            forward: Forward, inputs=inputs, targets=targets
        ) -> tuple[torch.Tensor, torch.Tensor]:
            with precision.autocast():
                outputs = forward(inputs).float()
            loss = loss_of(scaled_outputs(spec, outputs), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            return outputs.detach(), loss.detach()

        outputs, loss = runner.guarded(inputs, step)
        scaler.step(optimizer)
        scaler.update()
        tally.add(outputs, targets, loss.item())
    return tally.result()


@torch.no_grad()
def evaluate(
    spec: Spec,
    runner: CompiledModel,
    loader: Batches,
    precision: Precision,
    device: torch.device,
) -> PassResult:
    runner.model.eval()
    loss_of = loss_function(spec)
    tally = Tally(spec)
    for inputs, targets in loader:
        inputs = inputs.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)

        def step(forward: Forward, inputs=inputs) -> torch.Tensor:
            with precision.autocast():
                return forward(inputs).float()

        outputs = runner.guarded(inputs, step)
        loss = loss_of(scaled_outputs(spec, outputs), targets)
        tally.add(outputs, targets, loss.item())
    return tally.result()
