"""The serving-options table: every model variant, in process and served, measured.

Usage: python -m serving.bench [--variants eager onnx ...] [--serve-variants ...]
                               [--batching off on]
                               [--clients 1 8 32] [--requests 400]
                               [--batch-sizes 1 8 32] [--threads 1]
                               [--traffic-python PATH] [--out reports]

Needs the model in the store (python -m serving.package; nox -s bench-serve
does it) and the dataset's evaluation split (nox -s data). In one run on this
machine it measures:

1. in process, per variant: decode + forward rate at each batch size (the
   limit a server can reach) and accuracy on the evaluation split;
2. served, per variant and batching (off: `serving.service`, on:
   `serving.batched_service`): a real `bentoml serve`, loaded by
   `data.traffic` with each number of concurrent clients: throughput,
   p50/p95/p99 latency, errors, and throughput as a share of the limit.

Writes reports/serving-options.md, .json and a latency/throughput chart .png.
The figures are this machine's; the report says which machine that was.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract import encode_image
from {{ cookiecutter.package_name }}.hardware import machine

from .bench_model import (
    ModelFacts,
    VariantResult,
    labelled_evaluation_images,
    measure_variant,
    model_facts,
)
from .model_store import checkpoint_path, latest_model
from .plot import Series, latency_throughput_chart
from .runtimes import VARIANTS, RuntimeOptions
from .server import BentoServer, ServerError, request

SERVICES = {
    "off": "serving.service:Classifier",
    "on": "serving.batched_service:BatchedClassifier",
}
# Targets of the course's serving-options table, reported (never asserted).
TARGET_SHARE_OF_LIMIT = 0.85
TARGET_CLIENTS = 32
TARGET_SPEEDUP = 2.0
TARGET_ACCURACY_POINTS = 1.0


class BenchError(RuntimeError):
    """The benchmark cannot run; the message says what to do first."""


@dataclass
class ServedResult:
    variant: str
    batching: str
    clients: int
    sent: int
    errors: int
    throughput_rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    share_of_limit: float | None
    stopped_by: str


def hardware() -> dict[str, Any]:
    """What the figures were measured on."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    try:
        import onnxruntime

        onnxruntime_version = onnxruntime.__version__
    except ImportError:
        onnxruntime_version = None
    return {**machine(gpu), "onnxruntime": onnxruntime_version}


def traffic(
    python: str, url: str, clients: int, requests: int, duration: float, out: Path
) -> dict[str, Any]:
    """One run of the load generator (data.traffic) against ``url``."""
    report_path = out / f"traffic-{clients}.json"
    result = subprocess.run(
        [
            python,
            *("-m", "data.traffic", "--url", url, "--users", str(clients)),
            *("--requests", str(requests), "--duration", str(duration)),
            *("--json", str(report_path)),
        ],
        cwd=paths.REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(paths.REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=duration + 120,
    )
    if not report_path.is_file():
        raise BenchError(
            f"the load generator failed (exit {result.returncode}): "
            f"{result.stderr.strip()[-800:]}\nIs locust installed for {python}? "
            "It is in data/requirements.txt; nox -s bench-serve passes the data "
            "room's Python."
        )
    return json.loads(report_path.read_text())


def serve_and_load(
    args: argparse.Namespace, variant: str, batching: str, limit: float, out: Path
) -> list[ServedResult]:
    env = {
        "SERVING_VARIANT": variant,
        # Benchmark traffic is not production traffic: keep it out of the log
        # the drift check reads.
        "PREDICTION_LOG": str(out / "predictions.jsonl"),
    }
    if args.threads:
        env["SERVING_THREADS"] = str(args.threads)
    results = []
    with BentoServer(
        SERVICES[batching],
        log_path=out / f"server-{variant}-{batching}.log",
        env=env,
        ready_timeout=args.ready_timeout,
    ) as server:
        sample = (paths.contracts_dir() / "input.sample.json").read_bytes()
        for _ in range(3):  # warm-up: first requests allocate and compile
            request(server.url + "/predict", sample)
        for clients in args.clients:
            load = traffic(
                args.traffic_python, server.url, clients, args.requests,
                args.duration, out / f"{variant}-{batching}",
            )  # fmt: skip
            latency = load["latency_ms"]
            throughput = float(load["throughput_rps"])
            results.append(
                ServedResult(
                    variant=variant,
                    batching=batching,
                    clients=clients,
                    sent=int(load["sent"]),
                    errors=int(load["errors"]),
                    throughput_rps=throughput,
                    p50_ms=latency["p50"],
                    p95_ms=latency["p95"],
                    p99_ms=latency["p99"],
                    share_of_limit=round(throughput / limit, 3) if limit else None,
                    stopped_by=str(load["stopped_by"]),
                )
            )
            print(
                f"served {variant:<11} batching {batching:<3} {clients:>3} clients: "
                f"{throughput:7.1f} req/s, p95 {latency['p95']} ms, "
                f"{load['errors']} errors, {results[-1].share_of_limit} of the limit"
            )
    return results


def _cell(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def model_level_verdict(variants: list[VariantResult]) -> str:
    eager = next((v for v in variants if v.variant == "eager"), None)
    if eager is None or not eager.limit:
        return "not measured (eager was not among the variants)"
    candidates = []
    for result in variants:
        if result.variant == "eager" or result.accuracy is None:
            continue
        same_accuracy = (
            eager.accuracy is not None
            and abs(result.accuracy - eager.accuracy) * 100 <= TARGET_ACCURACY_POINTS
        )
        speedup = result.images_per_s.get(1, result.limit) / eager.images_per_s.get(
            1, eager.limit
        )
        candidates.append((speedup, same_accuracy, result.variant))
    good = [c for c in candidates if c[1]]
    if not good:
        return "not met: no variant kept the accuracy within 1 point"
    speedup, _, name = max(good)
    met = "met" if speedup >= TARGET_SPEEDUP else "not met"
    return f"{met}: {name} is {speedup:.2f}x eager at batch 1, accuracy within 1 point"


def right_sizing(
    served: list[ServedResult], peak_rps: float, latency_goal_ms: float
) -> list[str]:
    """Replicas each option needs for ``peak_rps`` within the latency goal."""
    lines = []
    for variant, batching in dict.fromkeys((r.variant, r.batching) for r in served):
        usable = [
            r
            for r in served
            if (r.variant, r.batching) == (variant, batching)
            and r.errors == 0
            and r.p95_ms is not None
            and r.p95_ms <= latency_goal_ms
        ]
        if not usable:
            lines.append(
                f"- {variant}, batching {batching}: no load level met a p95 of "
                f"{latency_goal_ms:.0f} ms without errors"
            )
            continue
        best = max(usable, key=lambda r: r.throughput_rps)
        replicas = math.ceil(peak_rps / best.throughput_rps) + 1
        lines.append(
            f"- {variant}, batching {batching}: one replica serves "
            f"{best.throughput_rps:.0f} req/s at p95 {best.p95_ms:.0f} ms "
            f"with {best.clients} concurrent: {replicas} replicas for "
            f"{peak_rps:.0f} req/s (one spare for updates and failures)"
        )
    return lines


def served_verdicts(served: list[ServedResult]) -> list[str]:
    lines = []
    for variant, batching in dict.fromkeys((r.variant, r.batching) for r in served):
        rows = [
            r
            for r in served
            if (r.variant, r.batching) == (variant, batching)
            and r.clients <= TARGET_CLIENTS
        ]
        if not rows:
            continue
        errors = sum(r.errors for r in rows)
        worst = min((r.share_of_limit or 0.0) for r in rows)
        best = max((r.share_of_limit or 0.0) for r in rows)
        met = errors == 0 and best >= TARGET_SHARE_OF_LIMIT
        lines.append(
            f"- {variant}, batching {batching}: {'met' if met else 'not met'} "
            f"(best {best:.2f}, lowest {worst:.2f} of the limit; {errors} errors up "
            f"to {max(r.clients for r in rows)} clients)"
        )
    return lines


def write_report(
    out: Path,
    facts: ModelFacts,
    machine: dict[str, Any],
    variants: list[VariantResult],
    served: list[ServedResult],
    command: str,
    args: argparse.Namespace,
) -> Path:
    batch_sizes = args.batch_sizes
    eager = next((v for v in variants if v.variant == "eager"), None)
    lines = [
        "# Serving options",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`.",
        "",
        f"- Hardware: {machine['cpu']}, {machine['cores']} cores, GPU: "
        f"{machine['gpu'] or 'none'} (host {machine['host']}); the load generator "
        "ran on the same machine, sharing its cores with the server.",
        f"- Software: Python {machine['python']}, torch {machine['torch']}, "
        f"onnxruntime {machine['onnxruntime']}.",
        f"- Model: {facts.arch} at {facts.image_size} px, {facts.parameters:,} "
        f"parameters, {facts.mmacs} MMAC per image (the model in the store). With "
        "a model this small, decoding the JPEG costs as much as the forward pass; "
        "rerun on the deployment hardware with the model you deploy.",
        "",
        "## In process: the limit (decode + forward, no HTTP)",
        "",
        "| variant | accuracy | change vs eager (points) | "
        + " | ".join(f"img/s at batch {size}" for size in batch_sizes)
        + " | speed-up vs eager at batch 1 |",
        "|---|---|---|" + "---|" * len(batch_sizes) + "---|",
    ]
    for result in variants:
        change = (
            (result.accuracy - eager.accuracy) * 100
            if eager and result.accuracy is not None and eager.accuracy is not None
            else None
        )
        speedup = (
            result.images_per_s[batch_sizes[0]] / eager.images_per_s[batch_sizes[0]]
            if eager and eager.images_per_s.get(batch_sizes[0])
            else None
        )
        rates = " | ".join(_cell(result.images_per_s.get(s)) for s in batch_sizes)
        accuracy = _cell(None if result.accuracy is None else result.accuracy * 100)
        lines.append(
            f"| {result.variant} | {accuracy} % | {_cell(change)} | {rates} | "
            f"{_cell(speedup, 2)} |"
        )
    lines += [
        "",
        "## Served: a real `bentoml serve`, loaded by `data.traffic`",
        "",
        "Batching off is `serving.service` (the default service); on is "
        "`serving.batched_service` (adaptive batching in a second process). "
        "Share of limit: served throughput / the variant's best in-process rate.",
        "",
        "| variant | batching | clients | requests | errors | req/s | "
        "p50 ms | p95 ms | p99 ms | share of limit |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in served:
        lines.append(
            f"| {row.variant} | {row.batching} | {row.clients} | {row.sent} | "
            f"{row.errors} | {_cell(row.throughput_rps)} | {_cell(row.p50_ms)} | "
            f"{_cell(row.p95_ms)} | {_cell(row.p99_ms)} | "
            f"{_cell(row.share_of_limit, 2)} |"
        )
    lines += [
        "",
        "## Targets",
        "",
        f"Served at least {TARGET_SHARE_OF_LIMIT} of the limit with zero errors up "
        f"to {TARGET_CLIENTS} clients:",
        "",
        *served_verdicts(served),
        "",
        f"A model-level variant at least {TARGET_SPEEDUP:.0f}x the eager model in "
        f"process at equal accuracy (within {TARGET_ACCURACY_POINTS:.0f} point): "
        + model_level_verdict(variants),
        "",
        "## Right-sizing",
        "",
        f"Replicas of this machine's size for a peak of {args.peak_rps:.0f} req/s "
        f"with p95 under {args.latency_goal_ms:.0f} ms (`--peak-rps`, "
        "`--latency-goal-ms`), from the best error-free load level of each option:",
        "",
        *right_sizing(served, args.peak_rps, args.latency_goal_ms),
        "",
        "![latency against throughput](serving-options.png)",
        "",
    ]
    path = out / "serving-options.md"
    path.write_text("\n".join(lines))
    return path


def run(args: argparse.Namespace) -> Path:
    stored = latest_model()
    if stored is None:
        raise BenchError(
            "the model store is empty: run python -m serving.package "
            "(nox -s package) after training"
        )
    checkpoint = checkpoint_path(stored)
    evaluation = labelled_evaluation_images(args.images)
    if not evaluation:
        raise BenchError(
            f"no evaluation images under {paths.dataset_dir() / 'evaluation'}: "
            "run nox -s data"
        )
    bodies = [json.dumps({"image": encode_image(p)}).encode() for p, _ in evaluation]
    args.out.mkdir(parents=True, exist_ok=True)
    # Exports, server logs and load reports of this run; the next run replaces them.
    scratch = paths.artifacts_dir() / "serving" / "bench"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    facts = model_facts(checkpoint)
    machine = hardware()
    print(
        f"benchmarking {facts.arch} at {facts.image_size} px ({facts.mmacs} MMAC) "
        f"on {machine['cpu']} ({machine['cores']} cores, GPU {machine['gpu']})"
    )

    variants = []
    for variant in args.variants:
        result = measure_variant(
            checkpoint, RuntimeOptions(variant, args.threads), bodies,
            args.batch_sizes, args.seconds, evaluation, scratch,
        )  # fmt: skip
        variants.append(result)
        print(
            f"in process {variant:<11} accuracy {result.accuracy:.3f}, "
            + ", ".join(f"batch {b}: {r} img/s" for b, r in result.images_per_s.items())
        )
    torch.set_num_threads(os.cpu_count() or 1)  # the servers choose their own

    served: list[ServedResult] = []
    to_serve = args.serve_variants or args.variants
    for result in (v for v in variants if v.variant in to_serve):
        for batching in args.batching:
            try:
                served += serve_and_load(
                    args, result.variant, batching, result.limit, scratch
                )
            except ServerError as error:
                message = f"{result.variant}, batching {batching}: {error}"
                raise BenchError(message) from None
            time.sleep(0.5)  # let the stopped server's port and workers go

    command = "python -m serving.bench " + " ".join(sys.argv[1:])
    report = write_report(
        args.out, facts, machine, variants, served, command.strip(), args
    )
    (args.out / "serving-options.json").write_text(
        json.dumps(
            {
                "hardware": machine,
                "model": asdict(facts),
                "threads": args.threads,
                "in_process": [asdict(v) for v in variants],
                "served": [asdict(s) for s in served],
            },
            indent=2,
        )
        + "\n"
    )
    series = [
        Series(
            f"{variant} / batching {batching}",
            [
                (r.throughput_rps, r.p95_ms or 0.0, r.clients)
                for r in served
                if (r.variant, r.batching) == (variant, batching)
            ],
        )
        for variant, batching in dict.fromkeys((r.variant, r.batching) for r in served)
    ]
    latency_throughput_chart(
        series,
        f"{facts.arch} {facts.image_size}px on {machine['cores']} cores "
        f"({machine['gpu'] or 'no GPU'})",
        args.out / "serving-options.png",
    )
    return report


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
    add("--seconds", type=float, default=3.0, help="seconds per in-process cell")
    add("--images", type=positive_ints, default=500, help="evaluation images used")
    add(
        "--threads",
        type=positive_ints,
        help="compute threads per worker (SERVING_THREADS); default: the library's",
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
    try:
        report = run(args)
    except BenchError as error:
        print(f"python -m serving.bench: {error}", file=sys.stderr)
        return 2
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
