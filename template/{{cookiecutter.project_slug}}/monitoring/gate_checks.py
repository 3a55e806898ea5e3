"""The canary gate's checks: the canary's window of traffic against production's.

Each check passes or fails with its reason; a metric missing from either side
fails the check it feeds, naming the metric, because a gate that cannot see must
not promote. The kind of model is read off production's scrape: a classifier
counts predictions per class, a regression model has a predicted-value histogram.
"""

import math
from dataclasses import dataclass

import numpy as np

from {{ cookiecutter.package_name }} import telemetry
from {{ cookiecutter.package_name }}.scrape import BENTOML_LATENCY, Histogram, Scrape

from . import checks, stats
from .metrics import histogram_quantile

PREDICT = "/predict"
# Fewer answered predictions than this is too little evidence to judge a canary.
MIN_REQUESTS = 50
# The canary may fail at most one more request in a hundred than production.
ERROR_MARGIN = 0.01
# Its p95 latency may exceed production's by a quarter, plus 10 ms (so that two
# fast services do not fail on a millisecond of jitter).
LATENCY_RATIO = 1.25
LATENCY_SLACK_SECONDS = 0.01
# The same fixed seed as the drift check: the same scrapes, the same verdict.
SEED = checks.SEED


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    canary: float | None
    production: float | None
    limit: float | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        return {
            "name": self.name,
            "passed": self.passed,
            "canary": rounded(self.canary),
            "production": rounded(self.production),
            "limit": rounded(self.limit),
            "reason": self.reason,
        }


def percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def missing(name: str, side: str, metric: str) -> GateCheck:
    return GateCheck(name, False, None, None, None, f"{side} has no {metric}")


def predict_requests(scrape: Scrape) -> tuple[float, float]:
    """(/predict requests answered, of which with a 5xx status)."""
    answered = errors = 0.0
    for key, count in scrape.requests.items():
        endpoint, _, status = key.rpartition(" ")
        if endpoint == PREDICT:
            answered += count
            errors += count if status.startswith("5") else 0.0
    return answered, errors


def traffic_check(canary: Scrape, production: Scrape) -> GateCheck:
    served = predict_requests(canary)[0]
    return GateCheck(
        "traffic",
        served >= MIN_REQUESTS,
        served,
        predict_requests(production)[0],
        MIN_REQUESTS,
        f"the canary answered {served:.0f} predictions (at least {MIN_REQUESTS})",
    )


def error_check(canary: Scrape, production: Scrape) -> GateCheck:
    rates = []
    for side, scrape in (("the canary", canary), ("production", production)):
        answered, errors = predict_requests(scrape)
        if not answered:
            return missing("errors", side, f"{PREDICT} requests in the window")
        rates.append(errors / answered)
    limit = rates[1] + ERROR_MARGIN
    reason = f"{percent(rates[0])} of {PREDICT} answered 5xx (at most {percent(limit)})"
    return GateCheck("errors", rates[0] <= limit, rates[0], rates[1], limit, reason)


def p95(histogram: Histogram | None) -> float:
    if histogram is None or not histogram.count:
        return math.nan
    return histogram_quantile(0.95, histogram.cumulative())


def latency_check(canary: Scrape, production: Scrape) -> GateCheck:
    values = []
    for side, scrape in (("the canary", canary), ("production", production)):
        value = p95(scrape.latency.get(PREDICT))
        if math.isnan(value):
            return missing("latency", side, f"{BENTOML_LATENCY} for {PREDICT}")
        values.append(value)
    limit = values[1] * LATENCY_RATIO + LATENCY_SLACK_SECONDS
    reason = f"p95 {values[0] * 1000:.0f} ms (at most {limit * 1000:.0f} ms)"
    return GateCheck("latency", values[0] <= limit, values[0], values[1], limit, reason)


def cdf_at(histogram: Histogram, point: float) -> float:
    """The share of observations at or below ``point``, read off the buckets
    (linear inside a bucket; below the lowest bound, that bucket's share)."""
    ordered = [(b, c) for b, c in histogram.cumulative() if not math.isinf(b)]
    total = histogram.count
    previous_bound, previous_count = -math.inf, 0.0
    for bound, count in ordered:
        if point <= bound:
            if math.isinf(previous_bound):
                return count / total
            share = (point - previous_bound) / (bound - previous_bound)
            return (previous_count + share * (count - previous_count)) / total
        previous_bound, previous_count = bound, count
    return previous_count / total if point < math.inf else 1.0


def mix_check(
    name: str, canary: np.ndarray, production: np.ndarray, size: float
) -> GateCheck:
    """Total variation of two mixes, against the drift check's threshold for a
    sample of ``size`` (the noise floor rises when the canary saw little)."""
    noise, _ = stats.class_shift_noise(
        production,
        max(1, min(int(size), checks.MAX_NOISE_SAMPLE)),
        quantile=1 - checks.ALPHA,
        resamples=checks.RESAMPLES,
        rng=np.random.default_rng(SEED),
    )
    limit = max(checks.TOTAL_VARIATION_MIN_EFFECT, noise)
    moved = stats.total_variation(canary, production)
    reason = f"{percent(moved)} of predictions changed class (at most {percent(limit)})"
    return GateCheck(name, moved <= limit, moved, None, limit, reason)


def class_checks(canary: Scrape, production: Scrape) -> list[GateCheck]:
    labels = sorted(set(canary.per_class) | set(production.per_class))
    ours, theirs = (
        np.array([scrape.per_class.get(label, 0.0) for label in labels])
        for scrape in (canary, production)
    )
    if not ours.sum():
        return [missing("predictions", "the canary", telemetry.PREDICTIONS_EXPORTED)]
    shares = (ours / ours.sum(), theirs / theirs.sum())
    return [
        mix_check("predictions", *shares, ours.sum()),
        confidence_check(canary, production),
    ]


def confidence_check(canary: Scrape, production: Scrape) -> GateCheck:
    """Has the canary's median confidence fallen further than drift allows?"""
    medians = []
    for side, scrape in (("the canary", canary), ("production", production)):
        histogram = scrape.histograms.get(telemetry.PREDICTION_CONFIDENCE)
        if histogram is None or not histogram.count:
            return missing("confidence", side, telemetry.PREDICTION_CONFIDENCE)
        medians.append(histogram_quantile(0.5, histogram.cumulative()))
    ours, theirs = medians
    limit = theirs - checks.CONFIDENCE_DROP_MIN_EFFECT
    reason = f"median confidence {ours:.2f} (at least {limit:.2f})"
    return GateCheck("confidence", ours >= limit, ours, theirs, limit, reason)


def value_checks(canary: Scrape, production: Scrape) -> list[GateCheck]:
    """The largest gap between the two predicted-value distributions (KS, read
    off the histograms at every bucket bound of either: a retrained model's
    buckets follow its own training data), against the drift check's threshold."""
    name = telemetry.PREDICTED_VALUE
    ours, theirs = canary.histograms.get(name), production.histograms[name]
    if ours is None or not ours.count:
        return [missing("predictions", "the canary", name)]
    bounds = {b for h in (ours, theirs) for b, _ in h.cumulative() if not math.isinf(b)}
    gap = max(abs(cdf_at(ours, b) - cdf_at(theirs, b)) for b in bounds)
    limit = checks.ks_threshold(int(theirs.count), int(ours.count))
    reason = f"predicted values' KS against production {gap:.3f} (at most {limit:.3f})"
    return [GateCheck("predictions", gap <= limit, gap, None, limit, reason)]


def prediction_checks(canary: Scrape, production: Scrape) -> list[GateCheck]:
    if sum(production.per_class.values()):
        return class_checks(canary, production)
    values = production.histograms.get(telemetry.PREDICTED_VALUE)
    if values is not None and values.count:
        return value_checks(canary, production)
    metrics = f"{telemetry.PREDICTIONS_EXPORTED} or {telemetry.PREDICTED_VALUE}"
    return [missing("predictions", "production", metrics)]


def gate_checks(canary: Scrape, production: Scrape) -> list[GateCheck]:
    """Every check, in the order the verdict lists them."""
    return [
        traffic_check(canary, production),
        error_check(canary, production),
        latency_check(canary, production),
        *prediction_checks(canary, production),
    ]
