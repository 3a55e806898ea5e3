"""One pass over a data loader: a training epoch, or an evaluation."""

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn import functional
from torch.utils.data import DataLoader

from .acceleration import CompiledModel, Precision

Forward = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class PassResult:
    loss: float
    accuracy: float
    samples: int
    seconds: float

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else 0.0


def random_flip(images: torch.Tensor) -> torch.Tensor:
    """Mirror a random half of the batch left-right (a food photo stays food).

    Drawn from torch's global generator, which checkpoints save and restore.
    """
    flip = torch.rand(images.shape[0]) < 0.5
    images = images.clone()
    images[flip] = images[flip].flip(-1)
    return images


def train_epoch(
    runner: CompiledModel,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    precision: Precision,
    device: torch.device,
) -> PassResult:
    runner.model.train()
    started = time.perf_counter()
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in loader:
        images = random_flip(images).to(device, non_blocking=True)
        labels = labels.to(device, non_blocking=True)

        def step(
            forward: Forward, images=images, labels=labels
        ) -> tuple[torch.Tensor, torch.Tensor]:
            with precision.autocast():
                logits = forward(images)
            loss = functional.cross_entropy(logits.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            return logits.detach(), loss.detach()

        logits, loss = runner.guarded(images, step)
        scaler.step(optimizer)
        scaler.update()
        total_loss += loss.item() * labels.shape[0]
        correct += (logits.argmax(1) == labels).sum().item()
        seen += labels.shape[0]
    return PassResult(
        total_loss / seen, correct / seen, seen, time.perf_counter() - started
    )


@torch.no_grad()
def evaluate(
    runner: CompiledModel,
    loader: DataLoader,
    precision: Precision,
    device: torch.device,
) -> PassResult:
    runner.model.eval()
    started = time.perf_counter()
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in loader:
        images = images.to(device, non_blocking=True)
        labels = labels.to(device, non_blocking=True)

        def step(forward: Forward, images=images) -> torch.Tensor:
            with precision.autocast():
                return forward(images).float()

        logits = runner.guarded(images, step)
        total_loss += functional.cross_entropy(logits, labels, reduction="sum").item()
        correct += (logits.argmax(1) == labels).sum().item()
        seen += labels.shape[0]
    return PassResult(
        total_loss / seen, correct / seen, seen, time.perf_counter() - started
    )
