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
