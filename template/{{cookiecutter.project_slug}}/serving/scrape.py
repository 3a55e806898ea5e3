"""Read the prediction metrics back from a /metrics scrape (smoke check, tests)."""

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }} import telemetry


class MetricsMissing(Exception):
    """The scrape lacks a metric the service must export."""


@dataclass(frozen=True)
class PredictionMetricsScrape:
    per_class: dict[str, float]  # predictions_total by predicted_class
    confidence_count: float
    confidence_buckets: dict[str, float]  # upper bound "le" -> cumulative count


def read_prediction_metrics(text: str) -> PredictionMetricsScrape:
    per_class: dict[str, float] = {}
    buckets: dict[str, float] = {}
    count: float | None = None
    confidence = telemetry.PREDICTION_CONFIDENCE
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == telemetry.PREDICTIONS_EXPORTED:
                label = sample.labels.get(telemetry.CLASS_LABEL)
                if label is not None:
                    per_class[label] = per_class.get(label, 0.0) + sample.value
            elif sample.name == confidence + "_bucket":
                buckets[sample.labels["le"]] = sample.value
            elif sample.name == confidence + "_count":
                count = sample.value
    missing = []
    if not per_class:
        missing.append(
            f"{telemetry.PREDICTIONS_EXPORTED}" + "{" + telemetry.CLASS_LABEL + "=...}"
        )
    if count is None or not buckets:
        missing.append(f"{confidence} histogram")
    if missing:
        raise MetricsMissing("/metrics lacks " + " and ".join(missing))
    return PredictionMetricsScrape(per_class, count or 0.0, buckets)
