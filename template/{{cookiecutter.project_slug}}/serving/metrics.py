"""The service's own Prometheus metrics, next to BentoML's request metrics.

Names come from the shared `telemetry` module, which the monitoring room's alert
rules and dashboard also read. What is measured follows the model's output:

- a classifier exports ``prediction_confidence_bucket/_sum/_count`` (the top
  class's probability) and ``predictions_total{predicted_class="..."}``;
- a regression model exports ``predicted_value_bucket/_sum/_count``, with
  buckets from the training targets' quantiles (kept in the fitted spec).
"""

import functools
from dataclasses import dataclass
from typing import Any, Protocol

from {{ cookiecutter.package_name }} import telemetry
from {{ cookiecutter.package_name }}.spec import Spec


class PredictionMetrics(Protocol):
    def observe(self, answer: dict[str, Any]) -> None:
        """Count one answer (the contract's answer body)."""


@dataclass(frozen=True)
class ClassMetrics:
    confidence: Any  # prometheus_client.Histogram
    predictions: Any  # prometheus_client.Counter

    def observe(self, answer: dict[str, Any]) -> None:
        self.confidence.observe(answer["probability"])
        self.predictions.labels(**{telemetry.CLASS_LABEL: answer["prediction"]}).inc()


@dataclass(frozen=True)
class ValueMetrics:
    values: Any  # prometheus_client.Histogram

    def observe(self, answer: dict[str, Any]) -> None:
        self.values.observe(answer["prediction"])


def prediction_metrics(spec: Spec) -> PredictionMetrics:
    """The metrics of ``spec``'s kind of answer, created once per worker process.

    Call this from the service's ``__init__``: BentoML workers switch
    prometheus_client to multiprocess mode, and metrics created before that
    never reach /metrics (why bentoml.metrics defers its import too).
    """
    if spec.classification:
        return class_metrics(spec.labels)
    quantiles = spec.fitted.get("target_quantiles")
    if not quantiles:
        raise ValueError(
            "the model's spec has no fitted target_quantiles for the "
            f"{telemetry.PREDICTED_VALUE} histogram; train the model again"
        )
    return value_metrics(telemetry.value_buckets(quantiles))


@functools.cache
def class_metrics(labels: tuple[str, ...]) -> ClassMetrics:
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
    for label in labels:
        predictions.labels(**{telemetry.CLASS_LABEL: label})
    return ClassMetrics(confidence, predictions)


@functools.cache
def value_metrics(buckets: tuple[float, ...]) -> ValueMetrics:
    import prometheus_client

    values = prometheus_client.Histogram(
        telemetry.PREDICTED_VALUE,
        "Predicted value, in the target's units, per answered prediction",
        buckets=buckets,
    )
    return ValueMetrics(values)
