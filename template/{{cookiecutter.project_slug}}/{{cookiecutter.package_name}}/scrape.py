"""A Prometheus scrape of the service's /metrics, read the same way by every room.

Serving's smoke check reads its prediction metrics back through `read_scrape`
and monitoring summarises scrapes with it. Needs prometheus-client, which the
serving and monitoring rooms install (no other room imports this module).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from . import telemetry

# BentoML's own request counter and latency histogram (namespace
# "bentoml_service" in BentoML 1.4).
BENTOML_REQUESTS = "bentoml_service_request"
BENTOML_LATENCY = "bentoml_service_request_duration_seconds"
# The model's histograms: a service exports the one its kind of model has.
MODEL_HISTOGRAMS = (telemetry.PREDICTION_CONFIDENCE, telemetry.PREDICTED_VALUE)


@dataclass
class Histogram:
    """One histogram, summed over its series."""

    buckets: dict[float, float] = field(default_factory=lambda: defaultdict(float))
    count: float = 0.0
    total: float = 0.0

    def add(self, suffix: str, value: float, labels: dict[str, str]) -> None:
        if suffix == "_bucket":
            self.buckets[float(labels["le"])] += value
        elif suffix == "_count":
            self.count += value
        elif suffix == "_sum":
            self.total += value

    def cumulative(self) -> list[tuple[float, float]]:
        """(upper bound, cumulative count), lowest bound first; +Inf last."""
        return sorted(self.buckets.items())


@dataclass
class Scrape:
    """What a scrape says about the model and the requests."""

    # predictions_total by predicted_class (classification; empty otherwise).
    per_class: dict[str, float] = field(default_factory=dict)
    # The model's histograms the scrape holds, by metric name.
    histograms: dict[str, Histogram] = field(default_factory=dict)
    # BentoML's requests by "endpoint status", e.g. "/predict 400".
    requests: dict[str, float] = field(default_factory=dict)
    # BentoML's request latency (seconds) by endpoint, over every status.
    latency: dict[str, Histogram] = field(default_factory=dict)


def read_scrape(text: str) -> Scrape:
    """Every sample of ``text`` that the rooms read, summed over its series."""
    scrape = Scrape()
    per_class: dict[str, float] = defaultdict(float)
    requests: dict[str, float] = defaultdict(float)
    series = {
        name + suffix: (name, suffix)
        for name in (*MODEL_HISTOGRAMS, BENTOML_LATENCY)
        for suffix in ("_bucket", "_count", "_sum")
    }
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == telemetry.PREDICTIONS_EXPORTED:
                label = sample.labels.get(telemetry.CLASS_LABEL)
                if label is not None:
                    per_class[label] += sample.value
            elif sample.name in series:
                name, suffix = series[sample.name]
                if name == BENTOML_LATENCY:
                    endpoint = sample.labels.get("endpoint", "?")
                    histogram = scrape.latency.setdefault(endpoint, Histogram())
                else:
                    histogram = scrape.histograms.setdefault(name, Histogram())
                histogram.add(suffix, sample.value, sample.labels)
            elif sample.name == BENTOML_REQUESTS + "_total":
                endpoint = sample.labels.get("endpoint", "?")
                status = sample.labels.get("http_response_code", "?")
                requests[f"{endpoint} {status}"] += sample.value
    scrape.per_class = dict(sorted(per_class.items()))
    scrape.requests = dict(sorted(requests.items()))
    return scrape
