"""Serving one option for real and loading it: the served rows of the table.

`serve_and_load` starts a real `bentoml serve` of one variant, batching and
layout, loads it with `data.traffic` in rounds at each number of clients, and
after each round, with the server idle, measures the layout's in-process limit
for as long as the round took; `served_row` pairs each round with its limit.
"""

import argparse
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.hardware import percent

from ..check.server import BentoServer, ServerError, request
from ..runtimes import THREADS_VARIABLE, WORKERS_VARIABLE
from .in_process import (
    Layout,
    LayoutProbe,
    LayoutRates,
    VariantResult,
    first_line_starting,
    most_stolen,
    start_talking,
)

SERVICES = {
    "off": "serving.service:Predictor",
    "on": "serving.batched_service:BatchedPredictor",
}
# data.traffic --wait-between-rounds starts each round's JSON line with this.
ROUND_LINE = '{"round"'


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
        # Benchmark traffic is not production traffic: keep it out of the logs
        # the drift check and labelling read.
        "PREDICTION_LOG": str(out / "predictions.jsonl"),
        "INPUT_LOG": str(out / "inputs.jsonl"),
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


def share_range(row: ServedResult) -> str:
    """The lowest and highest of a row's round shares, e.g. "0.812-0.934"."""
    if not row.round_shares:
        return "n/a"
    return f"{min(row.round_shares):.3f}-{max(row.round_shares):.3f}"
