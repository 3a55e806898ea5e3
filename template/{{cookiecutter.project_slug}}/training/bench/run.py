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
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from {{ cookiecutter.package_name }} import paths, quality
from {{ cookiecutter.package_name }}.hardware import CpuWatch, machine
from {{ cookiecutter.package_name }}.spec import ProblemDataError

from ..acceleration import select_device
from ..config import (
    CONFIG_ERROR_EXIT_CODE,
    DEFAULT_CONFIG_PATH,
    ConfigError,
    TrainingConfig,
    load_config,
)
from ..datasets import Splits, load_splits
from .loops import LoadingRates, LoopRates, load_batches, measure_loading, measure_loops
from .report import write_report
from .time_to_quality import (
    EnergyMeter,
    TimeToQuality,
    scratch_artifacts,
    time_to_quality,
)

DEFAULT_CONFIGS = ("batch_size=32", "batch_size=128", "batch_size=32 amp=true")
# The default --target: a validation accuracy, or a ratio of the MAE to the
# mean predictor's; both harder than the config's quality bar.
DEFAULT_TARGETS = {True: 0.9, False: 0.5}  # keyed by spec.classification


def hardware(device: torch.device) -> dict[str, Any]:
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return machine(gpu)


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
