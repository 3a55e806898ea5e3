"""reports/serving-options.md, .json and the chart: the measurements as tables."""

import argparse
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.hardware import STOLEN_WARNING, percent

from ..request_records import (
    ACCESS_LOG_VARIABLE,
    TRACING_VARIABLE,
    RequestRecordSwitches,
)
from .in_process import Layout, ModelFacts, VariantResult
from .plot import Series, latency_throughput_chart
from .served import ServedResult, share_range
from .verdicts import (
    LIMIT_SPREAD_WARNING,
    TARGET_CLIENTS,
    TARGET_SHARE_OF_LIMIT,
    TARGET_SPEEDUP,
    QualityScale,
    describe,
    model_level_verdict,
    options_of,
    right_sizing,
    served_verdicts,
)

# The latency/throughput chart, beside the report that shows it.
CHART = "serving-options.svg"


def _cell(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


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
