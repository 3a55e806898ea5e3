"""Time to quality: real training runs until the validation split clears a bar.

Each run is `training.train` itself, in a scratch ARTIFACTS_DIR that sees the
real dataset (`scratch_artifacts`), so the team's model is never overwritten.
On a GPU, Zeus measures the energy each epoch took (`EnergyMeter`).
"""

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from {{ cookiecutter.package_name }} import paths, quality
from {{ cookiecutter.package_name }}.spec import ProblemDataError, Spec

from ..config import TrainingConfig
from ..train import train


@dataclass(frozen=True)
class TimeToQuality:
    configuration: str
    precision: str
    reached_epoch: int | None
    seconds: float | None
    energy_j: float | None
    best_val: float  # the best validation value of the primary metric
    samples_per_s: float


class EnergyMeter:
    """Joules per epoch from Zeus on a GPU; None where it cannot measure."""

    def __init__(self, device: torch.device) -> None:
        self.monitor: Any = None
        self.reason = ""
        self.per_epoch: list[float] = []
        if device.type != "cuda":
            self.reason = "no GPU here: Zeus measures GPU energy"
            return
        try:
            from zeus.monitor import ZeusMonitor
        except ImportError:
            self.reason = "Zeus is not installed (pip install zeus)"
            return
        self.monitor = ZeusMonitor(gpu_indices=[device.index or 0])

    @property
    def measuring(self) -> bool:
        return self.monitor is not None

    def begin(self) -> None:
        self.per_epoch = []
        if self.monitor is not None:
            self.monitor.begin_window("epoch")

    def after_epoch(self, epoch: int) -> None:
        if self.monitor is not None:
            measurement = self.monitor.end_window("epoch")
            self.per_epoch.append(float(measurement.total_energy))
            self.monitor.begin_window("epoch")

    def end(self) -> None:
        if self.monitor is not None:
            self.monitor.end_window("epoch")


def time_to_quality(
    configuration: str,
    config: TrainingConfig,
    spec: Spec,
    target: float,
    energy: EnergyMeter,
) -> TimeToQuality:
    energy.begin()
    try:
        document = train(config, after_epoch=energy.after_epoch)
    finally:
        energy.end()
    metric, higher_is_better = quality.primary_metric(spec)
    values = [record[f"val_{metric}"] for record in document["epochs"]]
    elapsed = 0.0
    reached: int | None = None
    seconds: float | None = None
    for record, value in zip(document["epochs"], values, strict=True):
        elapsed += record["seconds"]
        measured = {metric: value}
        if reached is None and quality.passes(
            spec, measured, document["baseline"], target
        ):
            reached, seconds = record["epoch"], round(elapsed, 2)
    joules = (
        round(sum(energy.per_epoch[:reached]), 1)
        if reached is not None and energy.measuring
        else None
    )
    return TimeToQuality(
        configuration=configuration,
        precision=document["precision"],
        reached_epoch=reached,
        seconds=seconds,
        energy_j=joules,
        best_val=max(values) if higher_is_better else min(values),
        samples_per_s=document["cost"]["samples_per_s"],
    )


@contextlib.contextmanager
def scratch_artifacts(scratch: Path) -> Iterator[None]:
    """ARTIFACTS_DIR at ``scratch``, which sees the real dataset; restored after.

    Tracking is off there unless TRACKING_MODE says otherwise: benchmark runs
    are measurements, not experiments.
    """
    dataset, data_dir = paths.dataset_dir(), paths.artifacts_dir() / "data"
    if not dataset.is_dir():
        raise ProblemDataError(f"no dataset at {dataset}: run nox -s data first")
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "data").mkdir(parents=True)
    (scratch / "data" / "dataset").symlink_to(dataset.resolve())
    if (data_dir / "manifest.json").is_file():
        shutil.copyfile(data_dir / "manifest.json", scratch / "data" / "manifest.json")
    saved = {name: os.environ.get(name) for name in ("ARTIFACTS_DIR", "TRACKING_MODE")}
    os.environ["ARTIFACTS_DIR"] = str(scratch)
    os.environ.setdefault("TRACKING_MODE", "off")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
