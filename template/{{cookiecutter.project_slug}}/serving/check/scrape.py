"""Read the prediction metrics back from a /metrics scrape (smoke check, tests).

Which metrics a service exports depends on its model's output
(`{{ cookiecutter.package_name }}.telemetry`): a classifier's confidence
histogram and per-class counter, or a regression model's predicted-value
histogram. The spec says which one to expect.
"""

from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }} import telemetry
from {{ cookiecutter.package_name }}.spec import Spec


class MetricsMissing(Exception):
    """The scrape lacks a metric the service must export."""


@dataclass(frozen=True)
class PredictionMetricsScrape:
    histogram: str  # the model's histogram: confidence or predicted value
    count: float  # predictions that histogram counted
    buckets: dict[str, float]  # upper bound "le" -> cumulative count
    # predictions_total by predicted_class (classification; empty otherwise)
    per_class: dict[str, float] = field(default_factory=dict)


def prediction_histogram(spec: Spec) -> str:
    """The histogram a service of ``spec``'s model exports for every prediction."""
    if spec.classification:
        return telemetry.PREDICTION_CONFIDENCE
    return telemetry.PREDICTED_VALUE


def read_prediction_metrics(text: str, spec: Spec) -> PredictionMetricsScrape:
    """The prediction metrics in ``text``; `MetricsMissing` names what is not there."""
    histogram = prediction_histogram(spec)
    per_class: dict[str, float] = {}
    buckets: dict[str, float] = {}
    count: float | None = None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == telemetry.PREDICTIONS_EXPORTED:
                label = sample.labels.get(telemetry.CLASS_LABEL)
                if label is not None:
                    per_class[label] = per_class.get(label, 0.0) + sample.value
            elif sample.name == histogram + "_bucket":
                le = sample.labels["le"]
                buckets[le] = buckets.get(le, 0.0) + sample.value
            elif sample.name == histogram + "_count":
                count = (count or 0.0) + sample.value
    missing = []
    if spec.classification and not per_class:
        labels = "{" + telemetry.CLASS_LABEL + "=...}"
        missing.append(telemetry.PREDICTIONS_EXPORTED + labels)
    if count is None or not buckets:
        missing.append(f"{histogram} histogram")
    if missing:
        raise MetricsMissing("/metrics lacks " + " and ".join(missing))
    return PredictionMetricsScrape(histogram, count or 0.0, buckets, per_class)
