"""Training performance: the loop's own overhead, the data loader, time-to-quality.

Usage: python -m training.bench [key=value ...] [--configs "batch_size=64" ...]
                                [--target BAR] [--max-epochs 8] [--steps 20]
                                [--out reports]

``key=value`` overrides apply to every measurement (as for training.train).
On this machine it measures:

1. overhead: the project's training step (`engine.train_epoch`) against a bare
   PyTorch loop on the same model, batches (already in memory) and optimizer:
   samples/s of each and the project's overhead (target: under 10%);
2. data loading: the training DataLoader alone (decoding and encoding the
   examples) against the training step alone, and the two together: whether
   the loader keeps the model busy or is the bottleneck;
3. time-to-quality: the real `training.train` for each ``--configs`` entry
   until the model on the validation split clears ``--target``, a bar read as
   `quality.passes` reads the config's ``quality_bar`` (classification: an
   accuracy, default 0.9; regression: the largest ratio of the mean absolute
   error to the mean predictor's, default 0.5): seconds and epochs, and on a
   GPU the energy it took, measured by Zeus (``pip install zeus``).

The training runs write into a scratch folder, never over the team's model.
Writes reports/training-bench.md and .json.
"""

import argparse
import contextlib
import copy
import itertools
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from {{ cookiecutter.package_name }} import paths, problem, quality
from {{ cookiecutter.package_name }}.hardware import CpuUse, CpuWatch, machine
from {{ cookiecutter.package_name }}.model import loss_function, scaled_outputs
from {{ cookiecutter.package_name }}.spec import ProblemDataError, Spec

from .acceleration import CompiledModel, choose_precision, select_device
from .config import (
    CONFIG_ERROR_EXIT_CODE,
    DEFAULT_CONFIG_PATH,
    ConfigError,
    TrainingConfig,
    load_config,
)
from .datasets import Splits, load_splits
from .engine import train_epoch
from .train import make_loader, train

TARGET_OVERHEAD = 0.10
DEFAULT_CONFIGS = ("batch_size=32", "batch_size=128", "batch_size=32 amp=true")
# The default --target: a validation accuracy, or a ratio of the MAE to the
# mean predictor's; both harder than the config's quality bar.
DEFAULT_TARGETS = {True: 0.9, False: 0.5}  # keyed by spec.classification
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


@dataclass(frozen=True)
class TimeToQuality:
    configuration: str
    precision: str
    reached_epoch: int | None
    seconds: float | None
    energy_j: float | None
    best_val: float  # the best validation value of the primary metric
    samples_per_s: float


def hardware(device: torch.device) -> dict[str, Any]:
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return machine(gpu)


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

    W&B is disabled there unless WANDB_MODE says otherwise: benchmark runs are
    measurements, not experiments.
    """
    dataset, data_dir = paths.dataset_dir(), paths.artifacts_dir() / "data"
    if not dataset.is_dir():
        raise ProblemDataError(f"no dataset at {dataset}: run nox -s data first")
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "data").mkdir(parents=True)
    (scratch / "data" / "dataset").symlink_to(dataset.resolve())
    if (data_dir / "manifest.json").is_file():
        shutil.copyfile(data_dir / "manifest.json", scratch / "data" / "manifest.json")
    saved = {name: os.environ.get(name) for name in ("ARTIFACTS_DIR", "WANDB_MODE")}
    os.environ["ARTIFACTS_DIR"] = str(scratch)
    os.environ.setdefault("WANDB_MODE", "disabled")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def loading_verdict(loading: dict[str, Any]) -> str:
    loader, step = loading["loader_samples_per_s"], loading["step_samples_per_s"]
    lost = 1 - loading["together_samples_per_s"] / step
    if loader < step:
        return (
            "The data loader is the bottleneck: it delivers fewer samples/s than the "
            "step consumes. Raise num_workers (one per free core) or encode the "
            "examples once, ahead of training."
        )
    verdict = (
        "The data loader is not the bottleneck: alone it delivers "
        f"{loader / step:.1f}x what the step consumes. "
    )
    if lost <= 0:
        return verdict + "Together they keep the step's pace."
    verdict += f"Together they run {lost * 100:.0f}% below the step alone"
    if loading["num_workers"] == 0 and lost > TARGET_OVERHEAD:
        return (
            verdict + ": with num_workers=0 loading takes turns with training in "
            "one process; num_workers=1 or more overlaps the two."
        )
    return verdict + "."


def goal_text(metric: str, higher_is_better: bool, target: float) -> str:
    """What time-to-quality waits for, in words."""
    if higher_is_better:
        return f"{target * 100:.0f}% validation {metric}"
    return f"a validation {metric} of {target:g} x the baseline's"


def write_report(out: Path, results: dict[str, Any], command: str) -> Path:
    machine, loops = results["hardware"], results["loops"]
    loading = results["loading"]
    overhead = 1 - loops["project_samples_per_s"] / loops["bare_samples_per_s"]
    met = "met" if overhead < TARGET_OVERHEAD else "not met"
    lines = [
        "# Training performance",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`.",
        "",
        f"- Hardware: {machine['cpu']}, {machine['cores']} cores, GPU: "
        f"{machine['gpu'] or 'none'} (host {machine['host']}); torch "
        f"{machine['torch']}, compute threads: {results['threads']}.",
        f"- Base configuration: {results['base']}.",
        "- This machine's CPU during the measurements: "
        + (CpuUse(**results["cpu"]).describe() if results["cpu"] else "not known")
        + ".",
        "",
        "## The training loop's own overhead",
        "",
        "Same model, optimizer and batches (decoded, in memory); best of "
        f"{results['rounds']} interleaved runs of {results['steps']} steps.",
        "",
        "| loop | samples/s |",
        "|---|---|",
        f"| bare PyTorch | {loops['bare_samples_per_s']:.1f} |",
        f"| project (`engine.train_epoch`) | {loops['project_samples_per_s']:.1f} |",
        "",
        f"Overhead: {overhead * 100:.1f} % (target under "
        f"{TARGET_OVERHEAD * 100:.0f} %: {met}).",
        "",
        "## Data loading",
        "",
        "| stage | samples/s |",
        "|---|---|",
        f"| data loader alone (num_workers={loading['num_workers']}) | "
        f"{loading['loader_samples_per_s']:.1f} |",
        f"| training step alone | {loading['step_samples_per_s']:.1f} |",
        f"| both: the loader feeding the step | "
        f"{loading['together_samples_per_s']:.1f} |",
        "",
        loading_verdict(loading),
        "",
        *quality_section(results),
    ]
    path = out / "training-bench.md"
    path.write_text("\n".join(lines))
    return path


def quality_section(results: dict[str, Any]) -> list[str]:
    """The report's time-to-quality table, one row per configuration."""
    metric = results["metric"]
    goal = goal_text(metric, results["higher_is_better"], results["target"])
    lines = [
        f"## Time to {goal}",
        "",
        f"Each configuration trains for up to {results['max_epochs']} epochs; "
        "seconds are training plus validation time up to the first epoch at the "
        "target.",
        "",
        "| configuration | precision | reached at epoch | seconds | energy (J) "
        f"| best val {metric} | samples/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in results["time_to_quality"]:
        reached = run["reached_epoch"]
        energy = (
            f"{run['energy_j']:.1f}" if run["energy_j"] is not None else "not measured"
        )
        lines.append(
            f"| {run['configuration']} | {run['precision']} | "
            f"{reached if reached is not None else 'not reached'} | "
            f"{run['seconds'] if run['seconds'] is not None else 'n/a'} | "
            f"{energy} | {run['best_val']:.3f} | {run['samples_per_s']} |"
        )
    return [*lines, "", f"Energy: {results['energy']}.", ""]


def run(args: argparse.Namespace, command: str) -> Path:
    with scratch_artifacts(paths.artifacts_dir() / "training-bench"):
        return measure_all(args, command)


def measure_all(args: argparse.Namespace, command: str) -> Path:
    if args.threads:
        torch.set_num_threads(args.threads)
    base = load_config(DEFAULT_CONFIG_PATH, args.overrides)
    device = select_device(base.device)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = load_splits(base.to_dict())
    metric, higher_is_better = quality.primary_metric(data.spec)
    if args.target is None:
        args.target = DEFAULT_TARGETS[data.spec.classification]

    with CpuWatch() as watch:
        loops, loading, runs, energy = measure_everything(args, base, data, device)
    results = {
        "hardware": hardware(device),
        # This machine's CPU over all the measurements (None: not Linux).
        "cpu": None if watch.use is None else asdict(watch.use),
        "base": " ".join(args.overrides) or "training/config.yaml as it is",
        "threads": torch.get_num_threads(),
        "steps": args.steps,
        "rounds": args.rounds,
        "metric": metric,
        "higher_is_better": higher_is_better,
        "target": args.target,
        "max_epochs": args.max_epochs,
        "loops": {**asdict(loops), "overhead": round(loops.overhead, 4)},
        "loading": {
            **asdict(loading),
            "loader_is_bottleneck": loading.loader_is_bottleneck,
        },
        "time_to_quality": [asdict(r) for r in runs],
        "energy": (
            "measured by Zeus on the GPU, from the start of training to the end "
            "of the epoch that reached the target"
            if energy.measuring
            else f"not measured ({energy.reason})"
        ),
    }
    (out / "training-bench.json").write_text(json.dumps(results, indent=2) + "\n")
    return write_report(out, results, command)


def measure_everything(
    args: argparse.Namespace, base: TrainingConfig, data: Splits, device: torch.device
) -> tuple[LoopRates, LoadingRates, list[TimeToQuality], EnergyMeter]:
    """The loops, the loader and each configuration's time to quality."""
    batches = load_batches(base, data, args.steps, device)
    loops = measure_loops(base, data.spec, batches, device, args.rounds)
    print(
        f"loop: bare {loops.bare_samples_per_s} samples/s, project "
        f"{loops.project_samples_per_s} samples/s "
        f"({loops.overhead * 100:.1f}% overhead)"
    )
    loading = measure_loading(
        base, data, args.steps, device, loops.project_samples_per_s
    )
    print(
        f"loading: loader {loading.loader_samples_per_s}, step "
        f"{loading.step_samples_per_s}, together {loading.together_samples_per_s} "
        "samples/s"
    )

    energy = EnergyMeter(device)
    runs = []
    for configuration in args.configs:
        config = load_config(
            DEFAULT_CONFIG_PATH,
            [*args.overrides, *configuration.split(), f"epochs={args.max_epochs}"],
        )
        result = time_to_quality(configuration, config, data.spec, args.target, energy)
        runs.append(result)
        print(
            f"{configuration}: the target {args.target:g} at epoch "
            f"{result.reached_epoch} "
            f"({result.seconds} s, energy {result.energy_j} J)"
        )
    return loops, loading, runs, energy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.bench", description=__doc__.splitlines()[0]
    )
    add = parser.add_argument
    add("overrides", nargs="*", help="key=value for every measurement")
    add("--configs", nargs="+", default=list(DEFAULT_CONFIGS))
    add(
        "--target",
        type=float,
        help="the bar to clear on the validation split, read as quality_bar is "
        "(default: accuracy 0.9, or a mean absolute error 0.5 x the baseline's)",
    )
    add("--max-epochs", type=int, default=8)
    add("--steps", type=int, default=20, help="batches per loop measurement")
    add("--rounds", type=int, default=5, help="interleaved loop measurements")
    add(
        "--threads",
        type=int,
        help="torch compute threads (default: one per core); 1 on a shared machine",
    )
    add("--out", type=Path, default=paths.REPO_ROOT / "reports")
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    quoted = (arg if " " not in arg else f'"{arg}"' for arg in given)
    command = " ".join(["python -m training.bench", *quoted])
    try:
        report = run(args, command)
    except (ConfigError, ProblemDataError) as error:
        print(f"python -m training.bench: {error}", file=sys.stderr)
        return CONFIG_ERROR_EXIT_CODE
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
