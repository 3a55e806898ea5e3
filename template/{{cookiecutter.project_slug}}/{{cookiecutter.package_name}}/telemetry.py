"""Names of the metrics the service exports and monitoring reads, and how latency
is summarised.

Serving registers them; the Prometheus alert rules and the Grafana dashboard in
the monitoring room refer to them, and tests keep the two sides in agreement.
"""

import statistics

# Histogram of the top-1 probability of every answered prediction.
PREDICTION_CONFIDENCE = "prediction_confidence"
CONFIDENCE_BUCKETS: tuple[float, ...] = (
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    1.0,
)

# Counter of answered predictions, labelled by predicted class name
# (exported as predictions_total{predicted_class="..."}).
PREDICTIONS = "predictions"
PREDICTIONS_EXPORTED = PREDICTIONS + "_total"
CLASS_LABEL = "predicted_class"

# Regression only: histogram of every predicted value, in the target's units.
# Its buckets come from the training targets' quantiles (`value_buckets`), so
# they fit the problem's scale whatever the target is.
PREDICTED_VALUE = "predicted_value"


def value_buckets(quantiles: list[float]) -> tuple[float, ...]:
    """Histogram bucket bounds from training-target quantiles: sorted, distinct."""
    bounds = sorted({round(float(q), 6) for q in quantiles})
    if not bounds:
        raise ValueError("no quantiles to make histogram buckets from")
    return tuple(bounds)


# Latency of answered requests, as the load generator (data.traffic) and the
# serve check (serving.check) report it: one definition for both reports.
LATENCY_PERCENTILES: tuple[int, ...] = (50, 95, 99)


def latency_summary_ms(latencies_ms: list[float]) -> dict[str, float | None]:
    """p50, p95, p99 and mean of ``latencies_ms``, rounded to 0.01 ms (None each
    when there are none; one latency is all of them)."""
    names = [f"p{q}" for q in LATENCY_PERCENTILES] + ["mean"]
    if not latencies_ms:
        return dict.fromkeys(names)
    if len(latencies_ms) == 1:
        return dict.fromkeys(names, round(latencies_ms[0], 2))
    cuts = statistics.quantiles(latencies_ms, n=100, method="inclusive")
    summary = {f"p{q}": round(cuts[q - 1], 2) for q in LATENCY_PERCENTILES}
    return {**summary, "mean": round(statistics.fmean(latencies_ms), 2)}
