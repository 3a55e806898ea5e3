"""The service's own Prometheus metrics, next to BentoML's request metrics.

Names come from the shared `telemetry` module, which the monitoring room's alert
rules and dashboard also read. Exported on /metrics as
``prediction_confidence_bucket/_sum/_count`` and
``predictions_total{predicted_class="..."}``.
"""

import functools
from dataclasses import dataclass
from typing import Any

from {{ cookiecutter.package_name }} import telemetry
from {{ cookiecutter.package_name }}.labels import LABELS


@dataclass(frozen=True)
class PredictionMetrics:
    confidence: Any  # prometheus_client.Histogram
    predictions: Any  # prometheus_client.Counter

    def observe(self, label: str, probability: float) -> None:
        self.confidence.observe(probability)
        self.predictions.labels(**{telemetry.CLASS_LABEL: label}).inc()


@functools.cache
def prediction_metrics() -> PredictionMetrics:
    """Create the metrics once per worker process.

    Call this from the service's ``__init__``: BentoML workers switch
    prometheus_client to multiprocess mode, and metrics created before that
    never reach /metrics (why bentoml.metrics defers its import too).
    """
    import prometheus_client

    confidence = prometheus_client.Histogram(
        telemetry.PREDICTION_CONFIDENCE,
        "Probability of the predicted class, per answered prediction",
        buckets=telemetry.CONFIDENCE_BUCKETS,
    )
    predictions = prometheus_client.Counter(
        telemetry.PREDICTIONS,
        "Answered predictions by predicted class",
        [telemetry.CLASS_LABEL],
    )
    # Every class starts at 0, so rates and shares exist before its first hit.
    for label in LABELS:
        predictions.labels(**{telemetry.CLASS_LABEL: label})
    return PredictionMetrics(confidence, predictions)
