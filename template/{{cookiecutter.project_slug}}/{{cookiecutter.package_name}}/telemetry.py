"""Names of the metrics the service exports and monitoring reads.

Serving registers them; the Prometheus alert rules and the Grafana dashboard in
the monitoring room refer to them, and tests keep the two sides in agreement.
"""

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
