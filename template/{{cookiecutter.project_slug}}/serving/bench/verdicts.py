"""The course's serving targets, met or not, and what the rows say besides.

Targets are reported, never asserted: the served share of the limit up to
TARGET_CLIENTS clients, a model-level variant TARGET_SPEEDUP times eager at
equal quality, and the replicas each option needs for a peak load.
"""

import math
from dataclasses import dataclass

from {{ cookiecutter.package_name }}.hardware import STOLEN_WARNING, percent

from .in_process import Layout, ModelFacts, VariantResult, most_stolen
from .served import ServedResult, limit_for_batching

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
# Serving costs a model this many times its own work per request reach the target.
WORK_FOR_TARGET = TARGET_SHARE_OF_LIMIT / (1 - TARGET_SHARE_OF_LIMIT)


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
