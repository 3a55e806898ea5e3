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
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any

import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.hardware import STOLEN_WARNING, machine, percent
from {{ cookiecutter.package_name }}.problem import Example, ProblemDataError

from ..check.server import BentoServer, ServerError, request
from ..model_store import checkpoint_path, latest_model
from ..request_records import (
    ACCESS_LOG_VARIABLE,
    TRACING_VARIABLE,
    RequestRecordSwitches,
)
from ..runtimes import THREADS_VARIABLE, VARIANTS, WORKERS_VARIABLE
from .in_process import (
    Layout,
    LayoutError,
    LayoutProbe,
    LayoutRates,
    Measurement,
    MeasurementError,
    ModelFacts,
    VariantResult,
    default_layouts,
    evaluation_examples,
    first_line_starting,
    measure_variant,
    model_facts,
    most_stolen,
    start_talking,
)
from .plot import Series, latency_throughput_chart

SERVICES = {
    "off": "serving.service:Predictor",
    "on": "serving.batched_service:BatchedPredictor",
}
# Targets of the course's serving-options table, reported (never asserted).
TARGET_SHARE_OF_LIMIT = 0.85
TARGET_CLIENTS = 32
TARGET_SPEEDUP = 2.0
# Equal quality: accuracy within this many points, or an error within this
# many percent of eager's.
TARGET_QUALITY_CHANGE = 1.0
# A best batch this much faster in process than the limit a verdict used is named.
BATCHING_GAIN_WORTH_NAMING = 1.1
# Limits of one load level this far apart say the machine's speed moved.
LIMIT_SPREAD_WARNING = 0.10
# data.traffic --wait-between-rounds starts each round's JSON line with this.
ROUND_LINE = '{"round"'
# Serving costs a model this many times its own work per request reach the target.
WORK_FOR_TARGET = TARGET_SHARE_OF_LIMIT / (1 - TARGET_SHARE_OF_LIMIT)
# The latency/throughput chart, beside the report that shows it.
CHART = "serving-options.svg"


class BenchError(RuntimeError):
    """The benchmark cannot run; the message says what to do first."""


@dataclass
class ServedResult:
    variant: str
    batching: str
    layout: str
    clients: int
    sent: int
    errors: int
    throughput_rps: float  # over all rounds, without the pauses between them
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    limit_rps: float  # the median limit measured after the rounds, these clients'
    share_of_limit: float | None  # the median of the rounds' shares
    stopped_by: str
    # This machine's CPU during the rounds (from data.traffic; None: unknown).
    cpu_idle: float | None = None
    cpu_stolen: float | None = None
    limit_batch_size: int = 1
    # Each round's throughput, the whole layout's in-process rate (at
    # limit_batch_size) measured right after it with the server idle, and the
    # round's share of the part of that rate these clients could use.
    rounds_rps: list[float] = field(default_factory=list)
    limits_rps: list[float] = field(default_factory=list)
    round_shares: list[float] = field(default_factory=list)
    # The most CPU stolen while any of those limits was measured.
    limit_stolen: float | None = None

    @property
    def option(self) -> tuple[str, str, str]:
        return self.variant, self.batching, self.layout

    @property
    def limit_spread(self) -> float | None:
        """How far below the fastest limit measured here the slowest fell: 0.1, 10 %."""
        if not self.limits_rps or not max(self.limits_rps):
            return None
        return 1 - min(self.limits_rps) / max(self.limits_rps)


@dataclass(frozen=True)
class QualityScale:
    """How the tables show the model's quality and compare it with eager's.

    Accuracy is a share of the examples: shown in %, a change in points. An
    error (the mean absolute error of a regression model) is in the target's
    units: shown as it is, a change in percent of eager's.
    """

    metric: str  # `quality.primary_metric`: "accuracy" or "mae"

    @classmethod
    def of(cls, facts: ModelFacts) -> "QualityScale":
        return cls(facts.metric)

    @property
    def share(self) -> bool:
        return self.metric == "accuracy"

    @property
    def name(self) -> str:
        return self.metric if self.share else self.metric.upper()

    @property
    def change_unit(self) -> str:
        return "points" if self.share else "%"

    @property
    def tolerance(self) -> str:
        within = "point" if self.share else "% of eager's"
        return f"{self.name} within {TARGET_QUALITY_CHANGE:g} {within}"

    def cell(self, value: float | None) -> str:
        if value is None:
            return "n/a"
        return f"{value * 100:.1f} %" if self.share else f"{value:.4g}"

    def change(self, value: float | None, eager: float | None) -> float | None:
        """``value`` against eager's: points of accuracy, or % of eager's error."""
        if value is None or eager is None:
            return None
        if self.share:
            return (value - eager) * 100
        return (value - eager) / eager * 100 if eager else None

    def kept(self, value: float | None, eager: float | None) -> bool:
        change = self.change(value, eager)
        return change is not None and abs(change) <= TARGET_QUALITY_CHANGE


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
    args: argparse.Namespace,
    url: str,
    clients: int,
    out: Path,
    after_round: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """One run of the load generator (data.traffic) against ``url``, in rounds.

    ``after_round`` gets each round's report as it ends, the next round waiting
    until it returns; the run's whole report is returned.
    """
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / f"traffic-{clients}.json"
    log_path = out / f"traffic-{clients}.log"
    command = [
        args.traffic_python,
        *("-m", "data.traffic", "--url", url, "--users", str(clients)),
        *("--requests", str(args.requests), "--duration", str(args.duration)),
        *("--rounds", str(args.rounds), "--wait-between-rounds"),
        *("--json", str(report_path)),
    ]
    process = start_talking(command, log_path)
    assert process.stdin is not None and process.stdout is not None
    try:
        for number in range(1, args.rounds + 1):
            line = first_line_starting(process, ROUND_LINE, args.duration + 120)
            if line is None:  # it ended, or was killed for taking too long
                break
            after_round(json.loads(line))
            if number < args.rounds:
                process.stdin.write("\n")  # start the next round
                process.stdin.flush()
        process.stdin.close()
        process.wait(timeout=120)
    except (BrokenPipeError, subprocess.TimeoutExpired):
        pass  # it has ended or hangs: judged by its report below
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    if not report_path.is_file():
        raise BenchError(
            f"the load generator failed (exit {process.returncode}): "
            f"{log_path.read_text(errors='replace').strip()[-800:]}\n"
            f"Is locust installed for {args.traffic_python}? It is in "
            "data/requirements.txt; nox -s bench-serve passes the data room's Python."
        )
    return json.loads(report_path.read_text())


def limit_batch_size(result: VariantResult, layout: str, batching: str) -> int:
    """The batch size whose in-process rate a server with ``batching`` is held to.

    Batching off forwards one input per call, so it is compared with the rate
    at batch 1: measured against a larger batch, the share would mix what
    serving costs with what batching gains. Batching on forms batches, so it is
    compared with the best batch size. Without a batch 1 measurement, the best.
    """
    rates = result.rates.get(layout, {})
    if batching == "off" and 1 in rates:
        return 1
    return max(rates, key=rates.__getitem__, default=1)


def limit_for_batching(result: VariantResult, layout: str, batching: str) -> float:
    """The in-process rate of the work a server with ``batching`` does."""
    rates = result.rates.get(layout, {})
    return rates.get(limit_batch_size(result, layout, batching), 0.0)


def limit_for_clients(limit: float, layout: Layout, clients: int) -> float:
    """The part of a layout's limit that ``clients`` concurrent clients can use.

    Each client has one request in flight, so fewer clients than workers leave
    workers idle however fast the server is: one client of a ``2x1`` server
    can reach half of what both workers compute together.
    """
    return limit * layout.busy_workers(clients) / layout.workers


def paired_shares(
    rounds_rps: list[float], limits_rps: list[float], layout: Layout, clients: int
) -> list[float]:
    """Each round's throughput / the limit ``clients`` could use, measured after it."""
    return [
        round(served / limit_for_clients(limit, layout, clients), 3)
        for served, limit in zip(rounds_rps, limits_rps, strict=True)
        if limit
    ]


def measure_after_round(
    probe: LayoutProbe,
    batch_size: int,
    limits: list[LayoutRates],
    finished: dict[str, Any],
) -> None:
    """Add the limit at ``batch_size``, measured as long as round ``finished`` took."""
    limits.append(probe.measure([batch_size], float(finished["elapsed_s"])))


def serve_and_load(
    args: argparse.Namespace,
    variant: str,
    batching: str,
    probe: LayoutProbe,
    batch_size: int,
    out: Path,
) -> list[ServedResult]:
    """Serve one option and load it at each client level, in rounds.

    After each round, with the server idle, ``probe`` measures the option's
    limit (its layout's in-process rate at ``batch_size``) for as long as the
    round took, so each round is compared with the speed the machine had
    right then; the row's share is the median of those paired shares.
    """
    layout = probe.layout
    env = {
        "SERVING_VARIANT": variant,
        WORKERS_VARIABLE: str(layout.workers),
        THREADS_VARIABLE: str(layout.threads),
        # Benchmark traffic is not production traffic: keep it out of the log
        # the drift check reads.
        "PREDICTION_LOG": str(out / "predictions.jsonl"),
    }
    option = f"{variant}-{batching}-{layout.label}"
    results = []
    with BentoServer(
        SERVICES[batching],
        log_path=out / f"server-{option}.log",
        env=env,
        ready_timeout=args.ready_timeout,
        # Batching on runs a front service (one worker) before the model's workers.
        workers=layout.workers + (batching == "on"),
    ) as server:
        sample = (paths.contracts_dir() / "input.sample.json").read_bytes()
        for _ in range(3):  # warm-up: first requests allocate and compile
            request(server.url + "/predict", sample)
        for clients in args.clients:
            limits: list[LayoutRates] = []
            measure_limit = partial(measure_after_round, probe, batch_size, limits)
            load = traffic(args, server.url, clients, out / option, measure_limit)
            option_served = (variant, batching, layout)
            row = served_row(option_served, clients, batch_size, load, limits)
            results.append(row)
            print(describe_row(row))
    return results


def served_row(
    option: tuple[str, str, Layout],
    clients: int,
    batch_size: int,
    load: dict[str, Any],
    limits: list[LayoutRates],
) -> ServedResult:
    """One load level of ``option`` (variant, batching, layout): the load
    generator's report, each round paired with the limit at ``batch_size``
    measured right after it."""
    variant, batching, layout = option
    whole = [measured.rates[batch_size] for measured in limits]
    rounds = [float(r["throughput_rps"]) for r in load["rounds"]]
    shares = paired_shares(rounds, whole, layout, clients)
    reachable = limit_for_clients(median(whole), layout, clients) if whole else 0.0
    latency = load["latency_ms"]
    cpu = load.get("cpu") or {}
    return ServedResult(
        variant=variant,
        batching=batching,
        layout=layout.label,
        clients=clients,
        sent=int(load["sent"]),
        errors=int(load["errors"]),
        throughput_rps=float(load["throughput_rps"]),
        p50_ms=latency["p50"],
        p95_ms=latency["p95"],
        p99_ms=latency["p99"],
        limit_rps=round(reachable, 1),
        share_of_limit=round(median(shares), 3) if shares else None,
        stopped_by=str(load["stopped_by"]),
        cpu_idle=cpu.get("idle"),
        cpu_stolen=cpu.get("stolen"),
        limit_batch_size=batch_size,
        rounds_rps=rounds,
        limits_rps=whole,
        round_shares=shares,
        limit_stolen=most_stolen(measured.stolen for measured in limits),
    )


def describe_row(row: ServedResult) -> str:
    """One served row as a progress line."""
    return (
        f"served {row.variant:<11} batching {row.batching:<3} {row.layout:>4} "
        f"{row.clients:>3} clients: "
        f"{row.throughput_rps:7.1f} req/s, p95 {row.p95_ms} ms, "
        f"{row.errors} errors, {row.share_of_limit} of the limit "
        f"(rounds {share_range(row)}; {row.limit_rps} req/s, "
        f"spread {percent(row.limit_spread)}), "
        f"CPU {percent(row.cpu_idle)} idle, {percent(row.cpu_stolen)} stolen"
    )


def serve_variant(
    args: argparse.Namespace,
    result: VariantResult,
    probes: list[LayoutProbe],
    scratch: Path,
) -> list[ServedResult]:
    """Every batching and layout of one measured variant, served and loaded."""
    served: list[ServedResult] = []
    for batching in args.batching:
        for probe in probes:
            size = limit_batch_size(result, probe.layout.label, batching)
            try:
                served += serve_and_load(
                    args, result.variant, batching, probe, size, scratch
                )
            except ServerError as error:
                message = f"{result.variant}, batching {batching}: {error}"
                raise BenchError(message) from None
            time.sleep(0.5)  # let the stopped server's port and workers go
    return served


def _cell(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def model_level_verdict(variants: list[VariantResult], scale: QualityScale) -> str:
    eager = next((v for v in variants if v.variant == "eager"), None)
    if eager is None or not eager.limit():
        return "not measured (eager was not among the variants)"
    candidates = [
        (result.limit() / eager.limit(), result.variant)
        for result in variants
        if result.variant != "eager" and scale.kept(result.quality, eager.quality)
    ]
    if not candidates:
        return f"not met: no variant kept the {scale.tolerance}"
    speedup, name = max(candidates)
    met = "met" if speedup >= TARGET_SPEEDUP else "not met"
    return (
        f"{met}: {name} is {speedup:.2f}x eager (best in-process rates), "
        f"{scale.tolerance}"
    )


def options_of(served: list[ServedResult]) -> list[tuple[str, str, str]]:
    """(variant, batching, layout) of each served option, in measuring order."""
    return list(dict.fromkeys(row.option for row in served))


def describe(option: tuple[str, str, str]) -> str:
    variant, batching, layout = option
    return f"{variant}, batching {batching}, {layout}"


def right_sizing(
    served: list[ServedResult], peak_rps: float, latency_goal_ms: float
) -> list[str]:
    """Replicas each option needs for ``peak_rps`` within the latency goal."""
    lines = []
    for option in options_of(served):
        usable = [
            r
            for r in served
            if r.option == option
            and r.errors == 0
            and r.p95_ms is not None
            and r.p95_ms <= latency_goal_ms
        ]
        if not usable:
            lines.append(
                f"- {describe(option)}: no load level met a p95 of "
                f"{latency_goal_ms:.0f} ms without errors"
            )
            continue
        best = max(usable, key=lambda r: r.throughput_rps)
        replicas = math.ceil(peak_rps / best.throughput_rps) + 1
        lines.append(
            f"- {describe(option)}: one replica serves "
            f"{best.throughput_rps:.0f} req/s at p95 {best.p95_ms:.0f} ms "
            f"with {best.clients} concurrent: {replicas} replicas for "
            f"{peak_rps:.0f} req/s (one spare for updates and failures)"
        )
    return lines


def serving_cost_ms(row: ServedResult) -> float:
    """Worker time per request beyond the model's own work (HTTP, BentoML, client).

    Each of the ``busy`` workers the row's clients keep busy computes
    limit/busy requests per second in process, and serves share x that; the
    difference of their inverses is what serving adds to every request.
    """
    busy = Layout.parse(row.layout).busy_workers(row.clients)
    share = row.share_of_limit or 0.0
    return 1000 * busy / row.limit_rps * (1 / share - 1)


def share_range(row: ServedResult) -> str:
    """The lowest and highest of a row's round shares, e.g. "0.812-0.934"."""
    if not row.round_shares:
        return "n/a"
    return f"{min(row.round_shares):.3f}-{max(row.round_shares):.3f}"


def machine_noise(rows: list[ServedResult]) -> str:
    """Why ``rows`` say as much about the host as about the server ("": no reason).

    Steal shows in /proc/stat; a neighbour on the same physical core does not,
    but it makes the limits measured between the rounds of a level differ.
    """
    reasons = []
    stolen = most_stolen([r.cpu_stolen for r in rows] + [r.limit_stolen for r in rows])
    if stolen is not None and stolen >= STOLEN_WARNING:
        reasons.append(
            f"the hypervisor took up to {percent(stolen)} of the CPU while this "
            "option or its limit was measured"
        )
    spreads = [r.limit_spread for r in rows if r.limit_spread is not None]
    if max(spreads, default=0.0) >= LIMIT_SPREAD_WARNING:
        reasons.append(
            f"the limits measured between its rounds differed by up to "
            f"{percent(max(spreads))}"
        )
    return " and ".join(reasons)


def served_verdicts(
    served: list[ServedResult], variants: dict[str, VariantResult]
) -> list[str]:
    """One line per served option: did every load level up to TARGET_CLIENTS
    reach TARGET_SHARE_OF_LIMIT without errors, and what else its rows say."""
    lines = []
    for option in options_of(served):
        rows = [r for r in served if r.option == option and r.clients <= TARGET_CLIENTS]
        if not rows:
            continue
        errors = sum(r.errors for r in rows)
        worst = min((r.share_of_limit or 0.0) for r in rows)
        best = max(rows, key=lambda r: r.share_of_limit or 0.0)
        # The target holds for every load level up to TARGET_CLIENTS, not the best.
        levels_met = sum(
            r.errors == 0 and (r.share_of_limit or 0.0) >= TARGET_SHARE_OF_LIMIT
            for r in rows
        )
        verdict = (
            "met at every load level"
            if levels_met == len(rows)
            else f"not met: {levels_met} of {len(rows)} load levels"
        )
        line = (
            f"- {describe(option)}: {verdict} (best {best.share_of_limit or 0.0:.3f}, "
            f"lowest {worst:.3f} of the limit; {errors} errors up to "
            f"{max(r.clients for r in rows)} clients)"
        )
        notes = verdict_notes(rows, best, variants[option[0]])
        lines.append(line + "".join(f"; {note}" for note in notes))
    return lines


def verdict_notes(
    rows: list[ServedResult], best: ServedResult, result: VariantResult
) -> list[str]:
    """What a verdict adds: a busy host, what batching could gain, serving's cost."""
    _, batching, layout = best.option
    notes = []
    noise = machine_noise(rows)
    if noise:
        notes.append(
            f"{noise}, so its req/s and latencies are a busy host's (each "
            "share compares a round with the limit measured right after it)"
        )
    limit = limit_for_batching(result, layout, batching)
    best_limit = result.limit(layout)
    if limit and best_limit >= BATCHING_GAIN_WORTH_NAMING * limit:
        notes.append(
            f"in process, larger batches ran {best_limit / limit:.2f}x "
            "this limit (what batching could add if it cost nothing)"
        )
    share = best.share_of_limit or 0.0
    if best.limit_rps and 0 < share < 1:
        busy = Layout.parse(layout).busy_workers(best.clients)
        work = 1000 * busy / best.limit_rps
        cost = serving_cost_ms(best)
        notes.append(
            f"serving adds {cost:.1f} ms per request to {work:.1f} ms of "
            f"model work, so a model needing {WORK_FOR_TARGET * cost:.0f} ms "
            f"or more per request would be served at {TARGET_SHARE_OF_LIMIT}"
        )
    return notes


def setup_lines(
    facts: ModelFacts, machine: dict[str, Any], args: argparse.Namespace
) -> list[str]:
    """What was measured, on what, and how to read the tables."""
    records = RequestRecordSwitches.from_env().describe()
    return [
        f"- Hardware: {machine['cpu']}, {machine['cores']} cores, GPU: "
        f"{machine['gpu'] or 'none'} (host {machine['host']}); the load generator "
        "ran on the same machine, sharing its cores with the server.",
        f"- Software: Python {machine['python']}, torch {machine['torch']}, "
        f"onnxruntime {machine['onnxruntime']}.",
        f"- Model: {facts.arch} ({facts.task}), input {facts.input_size}, "
        f"{facts.parameters:,} parameters, {facts.mmacs} MMAC per input (the "
        f"model in the store); requests of {facts.request_bytes:,} bytes on "
        f"average, made from {facts.examples} evaluation examples. "
        "Serving adds a roughly fixed time to every request (see Targets), so "
        "the less work the model does per input, the smaller the share of its "
        "limit a server reaches; rerun on the deployment hardware with the model "
        "you deploy.",
        "- Layout: workers x compute threads per worker. In process, `2x1` is two "
        "processes of one thread measuring at the same time, rates summed; served, "
        "`SERVING_WORKERS=2 SERVING_THREADS=1`.",
        f"- Request records: BentoML's {records} (`{ACCESS_LOG_VARIABLE}`, "
        f"`{TRACING_VARIABLE}`; the servers inherit them from this run).",
        "- CPU stolen: the share of the machine's CPU time (/proc/stat) that the "
        "hypervisor gave to other guests while a row was measured. Above "
        f"{percent(STOLEN_WARNING)} a row says as much about the host as about "
        "the server. CPU idle (served rows): time no process had anything to run; "
        "a row below its limit with idle CPU was held back by concurrency (fewer "
        "clients than workers, or connections that stayed with one worker), not "
        "by the cores. Limit spread (served rows): how far the slowest of the "
        "limits measured after the row's rounds fell below the fastest; "
        "another guest on the same physical core slows this machine without any "
        f"steal, and shows here. Beyond {percent(LIMIT_SPREAD_WARNING)}, the "
        "row's req/s and latencies are a busy host's.",
        "- Side by side: this machine's speed may move from one second to the "
        f"next. Each served row sends its requests in {args.rounds} rounds and "
        "measures the limit right after each, for as long as that round took; "
        "its share is the median of the rounds' shares. Another guest only ever "
        "slows a measurement down, so each in-process rate is the fastest of "
        f"{args.rounds} measurements of {args.seconds:g} s.",
    ]


def in_process_table(
    variants: list[VariantResult], batch_sizes: list[int], scale: QualityScale
) -> list[str]:
    """One row per variant and layout: quality, rate per batch size, speed-up."""
    eager = next((v for v in variants if v.variant == "eager"), None)
    lines = [
        "## In process: the limit (decode + forward, no HTTP)",
        "",
        f"| variant | layout | {scale.name} | change vs eager "
        f"({scale.change_unit}) | "
        + " | ".join(f"req/s at batch {size}" for size in batch_sizes)
        + " | best vs eager's best | CPU stolen |",
        "|---|---|---|---|" + "---|" * len(batch_sizes) + "---|---|",
    ]
    for result in variants:
        change = scale.change(result.quality, eager.quality) if eager else None
        speedup = result.limit() / eager.limit() if eager and eager.limit() else None
        for layout, per_size in result.rates.items():
            rates = " | ".join(_cell(per_size.get(s)) for s in batch_sizes)
            lines.append(
                f"| {result.variant} | {layout} | {scale.cell(result.quality)} | "
                f"{_cell(change)} | {rates} | {_cell(speedup, 2)} | "
                f"{percent(result.stolen.get(layout))} |"
            )
    return lines


def served_table(served: list[ServedResult]) -> list[str]:
    """One row per served option and load level."""
    lines = [
        "## Served: a real `bentoml serve`, loaded by `data.traffic`",
        "",
        "Batching off is `serving.service` (the default service); on is "
        "`serving.batched_service` (adaptive batching in a second service). "
        "Limit: the in-process rate of the same work, same variant and layout: "
        "at batch 1 for batching off (that service forwards one input per call), "
        "the best batch size for batching on; or the part of it these clients can "
        "use when they are fewer than the workers (each client has one request in "
        "flight, so one client keeps one worker busy). It is measured after each "
        "round, while the server idles; the limit column is their median. "
        "req/s, latencies and CPU: all the rounds together, without the pauses "
        "between them. Share of limit: the median over the rounds of a round's "
        "throughput / the limit measured right after it, so it shows what HTTP, "
        "BentoML and the load client on the same cores cost; rounds' shares: "
        "the lowest and highest. What larger batches gain in process is in the "
        "table above.",
        "",
        "| variant | batching | layout | clients | requests | errors | req/s | "
        "p50 ms | p95 ms | p99 ms | limit, req/s | limit spread | share of limit | "
        "rounds' shares | CPU idle | CPU stolen |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in served:
        lines.append(
            f"| {row.variant} | {row.batching} | {row.layout} | {row.clients} | "
            f"{row.sent} | {row.errors} | {_cell(row.throughput_rps)} | "
            f"{_cell(row.p50_ms)} | {_cell(row.p95_ms)} | {_cell(row.p99_ms)} | "
            f"{_cell(row.limit_rps)} | {percent(row.limit_spread)} | "
            f"{_cell(row.share_of_limit, 3)} | {share_range(row)} | "
            f"{percent(row.cpu_idle)} | {percent(row.cpu_stolen)} |"
        )
    return lines


def targets_and_sizing(
    variants: list[VariantResult],
    served: list[ServedResult],
    scale: QualityScale,
    args: argparse.Namespace,
) -> list[str]:
    """The course's targets, met or not, and the replicas each option needs."""
    return [
        "## Targets",
        "",
        f"Served at least {TARGET_SHARE_OF_LIMIT} of the limit with zero errors up "
        f"to {TARGET_CLIENTS} clients:",
        "",
        *served_verdicts(served, {v.variant: v for v in variants}),
        "",
        f"A model-level variant at least {TARGET_SPEEDUP:.0f}x the eager model in "
        f"process at equal quality ({scale.tolerance}): "
        + model_level_verdict(variants, scale),
        "",
        "## Right-sizing",
        "",
        f"Replicas of this machine's size for a peak of {args.peak_rps:.0f} req/s "
        f"with p95 under {args.latency_goal_ms:.0f} ms (`--peak-rps`, "
        "`--latency-goal-ms`), from the best error-free load level of each option:",
        "",
        *right_sizing(served, args.peak_rps, args.latency_goal_ms),
    ]


@dataclass(frozen=True)
class Measured:
    """A whole run's results, and what they were measured on."""

    facts: ModelFacts
    machine: dict[str, Any]
    layouts: list[Layout]
    variants: list[VariantResult]
    served: list[ServedResult]


def write_report(
    out: Path, measured: Measured, command: str, args: argparse.Namespace
) -> Path:
    """reports/serving-options.md: the setup, both tables, targets, right-sizing."""
    scale = QualityScale.of(measured.facts)
    lines = [
        "# Serving options",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`.",
        "",
        *setup_lines(measured.facts, measured.machine, args),
        "",
        *in_process_table(measured.variants, args.batch_sizes, scale),
        "",
        *served_table(measured.served),
        "",
        *targets_and_sizing(measured.variants, measured.served, scale, args),
        "",
        f"![latency against throughput]({CHART})",
        "",
    ]
    path = out / "serving-options.md"
    path.write_text("\n".join(lines))
    return path


def write_data(out: Path, measured: Measured) -> None:
    """serving-options.json (every figure) and the latency/throughput chart."""
    document = {
        "hardware": measured.machine,
        "model": asdict(measured.facts),
        "layouts": [layout.label for layout in measured.layouts],
        "in_process": [asdict(v) for v in measured.variants],
        "served": [asdict(s) for s in measured.served],
    }
    (out / "serving-options.json").write_text(json.dumps(document, indent=2) + "\n")
    series = [
        Series(
            describe(option),
            [
                (r.throughput_rps, r.p95_ms or 0.0, r.clients)
                for r in measured.served
                if r.option == option
            ],
        )
        for option in options_of(measured.served)
    ]
    facts, machine = measured.facts, measured.machine
    latency_throughput_chart(
        series,
        f"{facts.arch}, input {facts.input_size}, on {machine['cores']} cores "
        f"({machine['gpu'] or 'no GPU'})",
        out / CHART,
    )


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
