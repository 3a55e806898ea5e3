"""Read the prediction metrics back from a /metrics scrape (smoke check, tests).

Which metrics a service exports depends on its model's output
(`{{ cookiecutter.package_name }}.telemetry`): a classifier's confidence
histogram and per-class counter, or a regression model's predicted-value
histogram. The spec says which one to expect; `{{ cookiecutter.package_name }}.scrape`
reads the scrape.
"""

from dataclasses import dataclass, field

from {{ cookiecutter.package_name }} import telemetry
from {{ cookiecutter.package_name }}.scrape import read_scrape
from {{ cookiecutter.package_name }}.spec import Spec


class MetricsMissing(Exception):
    """The scrape lacks a metric the service must export."""


@dataclass(frozen=True)
class PredictionMetricsScrape:
    histogram: str  # the model's histogram: confidence or predicted value
    count: float  # predictions that histogram counted
    buckets: dict[float, float]  # upper bound (math.inf last) -> cumulative count
    # predictions_total by predicted_class (classification; empty otherwise)
    per_class: dict[str, float] = field(default_factory=dict)


def prediction_histogram(spec: Spec) -> str:
    """The histogram a service of ``spec``'s model exports for every prediction."""
    if spec.classification:
        return telemetry.PREDICTION_CONFIDENCE
    return telemetry.PREDICTED_VALUE


def read_prediction_metrics(text: str, spec: Spec) -> PredictionMetricsScrape:
    """The prediction metrics in ``text``; `MetricsMissing` names what is not there."""
    name = prediction_histogram(spec)
    scrape = read_scrape(text)
    histogram = scrape.histograms.get(name)
    missing = []
    if spec.classification and not scrape.per_class:
        labels = "{" + telemetry.CLASS_LABEL + "=...}"
        missing.append(telemetry.PREDICTIONS_EXPORTED + labels)
    if histogram is None or not histogram.buckets:
        missing.append(f"{name} histogram")
    if missing or histogram is None:
        raise MetricsMissing("/metrics lacks " + " and ".join(missing))
    buckets = dict(histogram.cumulative())
    return PredictionMetricsScrape(name, histogram.count, buckets, scrape.per_class)
