"""The serving-options table: every model variant, in process and served, measured.

Usage: python -m serving.bench [--variants eager onnx ...] [--serve-variants ...]
                               [--batching off on] [--layouts 1x2 2x1]
                               [--clients 1 8 32] [--requests 400] [--rounds 4]
                               [--batch-sizes 1 8 32] [--examples 500]
                               [--traffic-python PATH] [--out reports]

Needs the model in the store (python -m serving.package; nox -s bench-serve
does it) and the dataset's evaluation split (nox -s data). In one run on this
machine it measures:

1. in process, per variant and layout (``2x1``: two processes of one thread,
   as two service workers): decode + forward rate at each batch size (the
   limit a server with that layout can reach), over requests made from the
   evaluation split's examples, and the model's quality on them (accuracy, or
   mean absolute error);
2. served, per variant, batching (off: `serving.service`, on:
   `serving.batched_service`) and layout (``SERVING_WORKERS`` x
   ``SERVING_THREADS``): a real `bentoml serve`, loaded by `data.traffic`
   with each number of concurrent clients: throughput, p50/p95/p99 latency,
   errors, and throughput as a share of the same work's limit: the same
   layout's rate at batch 1 for batching off (that service forwards one input
   per call), at its best batch size for batching on, and of that the part
   these clients can use (one client keeps one worker busy).

A shared virtual machine's speed moves from one second to the next (measured
here: the same in-process rate 42 to 67 req/s within a minute), so a limit
measured minutes, or even seconds, away from a served figure is another
machine's. Each served row therefore sends its requests in ``--rounds``
rounds; right after each round, with the server idle, the limit is measured
for as long as that round took, and the round's throughput is compared with
it. The row's share is the median of those paired shares, and the report
shows their range. Another guest only ever slows a measurement down, so each
in-process rate of the first table is the fastest of ``--rounds``
measurements.

Every row also says how the machine's CPU was spent while it was measured:
the share the hypervisor gave to other guests (stolen), and for served rows
the idle share and how far apart the limits between its rounds were; the
verdicts say when either was high.

Writes reports/serving-options.md, .json and a latency/throughput chart .svg.
The figures are this machine's; the report says which machine that was.
"""

import argparse
import os
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.hardware import machine, percent
from {{ cookiecutter.package_name }}.problem import Example, ProblemDataError

from ..model_store import checkpoint_path, latest_model
from ..runtimes import VARIANTS
from .in_process import (
    Layout,
    LayoutError,
    LayoutProbe,
    Measurement,
    MeasurementError,
    VariantResult,
    default_layouts,
    evaluation_examples,
    measure_variant,
    model_facts,
)
from .report import Measured, write_data, write_report
from .served import BenchError, ServedResult, serve_variant
from .verdicts import QualityScale


def hardware() -> dict[str, Any]:
    """What the figures were measured on."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    try:
        import onnxruntime

        onnxruntime_version = onnxruntime.__version__
    except ImportError:
        onnxruntime_version = None
    return {**machine(gpu), "onnxruntime": onnxruntime_version}


def stored_checkpoint() -> Path:
    stored = latest_model()
    if stored is None:
        raise BenchError(
            "the model store is empty: run python -m serving.package "
            "(nox -s package) after training"
        )
    return checkpoint_path(stored)


def evaluation(count: int) -> list[Example]:
    """The evaluation examples every variant is measured on."""
    try:
        return evaluation_examples(count)
    except ProblemDataError as error:
        raise BenchError(f"{error}; the benchmark measures its examples") from None


def measure_and_serve(
    args: argparse.Namespace,
    measurement: Measurement,
    examples: list[Example],
    scale: QualityScale,
    folder: Path,
) -> tuple[VariantResult, list[ServedResult]]:
    """One variant in process on every layout of ``args``, then served if asked."""
    variant = measurement.variant
    # The measuring processes stay loaded while the variant is served: they
    # measure its limit again around every load level.
    with ExitStack() as probes_open:
        try:
            probes = [
                probes_open.enter_context(
                    LayoutProbe(measurement, layout, folder / variant / layout.label)
                )
                for layout in args.layouts
            ]
            result = measure_variant(measurement, probes, examples, folder / variant)
            for layout, rates in result.rates.items():
                print(
                    f"in process {variant:<11} {layout:>4} "
                    f"{scale.name} {scale.cell(result.quality)}, "
                    + ", ".join(f"batch {b}: {r} req/s" for b, r in rates.items())
                    + f", CPU {percent(result.stolen.get(layout))} stolen"
                )
            served = []
            if variant in (args.serve_variants or args.variants):
                served = serve_variant(args, result, probes, folder)
        except MeasurementError as error:
            raise BenchError(str(error)) from None
    return result, served


def run(args: argparse.Namespace) -> Path:
    checkpoint = stored_checkpoint()
    examples = evaluation(args.examples)
    args.out.mkdir(parents=True, exist_ok=True)
    # Exports, server logs and load reports of this run; the next run replaces them.
    scratch = paths.artifacts_dir() / "serving" / "bench"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    facts = model_facts(checkpoint, examples)
    machine = hardware()
    args.layouts = args.layouts or default_layouts(machine["cores"] or 1)
    layouts = args.layouts
    print(
        f"benchmarking {facts.arch} ({facts.task}, input {facts.input_size}, "
        f"{facts.mmacs} MMAC) on {machine['cpu']} ({machine['cores']} cores, GPU "
        f"{machine['gpu']}), layouts {', '.join(layout.label for layout in layouts)}"
    )
    measured = Measured(facts, machine, layouts, [], [])
    for variant in args.variants:
        measurement = Measurement(
            checkpoint, variant, args.batch_sizes, args.seconds, args.examples,
            repeats=args.rounds,
        )  # fmt: skip
        result, served = measure_and_serve(
            args, measurement, examples, QualityScale.of(facts), scratch
        )
        measured.variants.append(result)
        measured.served.extend(served)
    command = "python -m serving.bench " + " ".join(sys.argv[1:])
    report = write_report(args.out, measured, command.strip(), args)
    write_data(args.out, measured)
    return report


def layout_argument(text: str) -> Layout:
    try:
        return Layout.parse(text)
    except LayoutError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive_ints(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serving.bench", description=__doc__.splitlines()[0]
    )
    add = parser.add_argument
    add("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    add(
        "--serve-variants",
        nargs="+",
        choices=VARIANTS,
        help="the variants also served (default: all of --variants)",
    )
    add("--batching", nargs="+", choices=("off", "on"), default=["off", "on"])
    add("--clients", nargs="+", type=positive_ints, default=[1, 8, 32])
    add("--batch-sizes", nargs="+", type=positive_ints, default=[1, 8, 32])
    add("--requests", type=positive_ints, default=400, help="budget per level")
    add("--duration", type=float, default=60.0, help="seconds per level at most")
    add(
        "--rounds",
        type=positive_ints,
        default=4,
        help="rounds per load level, each followed by its limit; and "
        "measurements per in-process cell, of which the fastest counts",
    )
    add("--seconds", type=float, default=1.5, help="seconds per in-process cell")
    add(
        "--examples",
        type=positive_ints,
        default=500,
        help="evaluation examples the requests are made from",
    )
    add(
        "--layouts",
        nargs="+",
        type=layout_argument,
        help="<workers>x<threads> per server (SERVING_WORKERS x SERVING_THREADS); "
        "default: 1x<cores> and <cores>x1",
    )
    add(
        "--traffic-python",
        default=os.environ.get("TRAFFIC_PYTHON", sys.executable),
        help="the Python that runs data.traffic (needs locust)",
    )
    add("--peak-rps", type=float, default=100.0, help="peak load to size for")
    add("--latency-goal-ms", type=float, default=200.0, help="p95 to size for")
    add("--ready-timeout", type=float, default=180.0)
    add("--out", type=Path, default=paths.REPO_ROOT / "reports")
    args = parser.parse_args(argv)
    if args.rounds > args.requests:
        parser.error(
            f"--rounds {args.rounds} is more than --requests {args.requests}: "
            "every round needs a request"
        )
    try:
        report = run(args)
    except BenchError as error:
        print(f"python -m serving.bench: {error}", file=sys.stderr)
        return 2
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
