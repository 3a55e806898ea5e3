"""What one deployment did between two scrapes of its /metrics.

Prometheus counters only grow while a process lives, so the difference of two
scrapes is the traffic in between. A counter that went down means the process
restarted in between; then the later scrape alone is the window, as PromQL's
increase() treats a reset.
"""

from {{ cookiecutter.package_name }}.scrape import Histogram, Scrape


def _minus(end: dict[str, float], start: dict[str, float]) -> dict[str, float]:
    return {key: value - start.get(key, 0.0) for key, value in end.items()}


def _histogram_minus(end: Histogram, start: Histogram | None) -> Histogram:
    if start is None:
        return end
    difference = Histogram(count=end.count - start.count, total=end.total - start.total)
    for bound, count in end.buckets.items():
        difference.buckets[bound] = count - start.buckets.get(bound, 0.0)
    return difference


def _counters(scrape: Scrape) -> dict[str, float]:
    """Every counter of the scrape, flattened: what a restart would reset."""
    flat = {f"class {k}": v for k, v in scrape.per_class.items()}
    flat |= {f"requests {k}": v for k, v in scrape.requests.items()}
    groups = (("histogram", scrape.histograms), ("latency", scrape.latency))
    for kind, histograms in groups:
        for name, histogram in histograms.items():
            flat[f"{kind} {name} count"] = histogram.count
            for bound, count in histogram.buckets.items():
                flat[f"{kind} {name} {bound}"] = count
    return flat


def restarted(start: Scrape, end: Scrape) -> bool:
    later = _counters(end)
    return any(later.get(key, 0.0) < value for key, value in _counters(start).items())


def window(start: Scrape, end: Scrape) -> Scrape:
    """The traffic between ``start`` and ``end``, two scrapes of one process."""
    if restarted(start, end):
        return end
    return Scrape(
        per_class=_minus(end.per_class, start.per_class),
        histograms={
            name: _histogram_minus(histogram, start.histograms.get(name))
            for name, histogram in end.histograms.items()
        },
        requests=_minus(end.requests, start.requests),
        latency={
            endpoint: _histogram_minus(histogram, start.latency.get(endpoint))
            for endpoint, histogram in end.latency.items()
        },
    )
