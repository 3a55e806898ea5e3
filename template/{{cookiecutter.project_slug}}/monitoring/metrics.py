"""Summarize a Prometheus scrape of the service's /metrics.

Usage: python -m monitoring.metrics [SCRAPE]   (default artifacts/serving/metrics.prom)

Prints what the model's metrics say (a classifier's predictions per class and
prediction-confidence histogram; a regression model's predicted-value
histogram: count, mean, median estimated from the buckets) and requests per
endpoint and status code, and writes them to
artifacts/monitoring/metrics-summary.json. The pipeline saves the scrape after
sending sample requests to a real `bentoml serve`.
"""

import argparse
import json
import math
import sys
from pathlib import Path

from {{ cookiecutter.package_name }} import paths, telemetry
from {{ cookiecutter.package_name }}.scrape import Histogram, read_scrape

# The model's histograms, by the name their summary is filed under. A service
# exports the one its kind of model has; the summary holds the ones scraped.
HISTOGRAMS = {
    "confidence": telemetry.PREDICTION_CONFIDENCE,
    "predicted_value": telemetry.PREDICTED_VALUE,
}


def default_scrape_path() -> Path:
    return paths.artifacts_dir() / "serving" / "metrics.prom"


def summary_path() -> Path:
    return paths.monitoring_dir() / "metrics-summary.json"


def histogram_quantile(quantile: float, buckets: list[tuple[float, float]]) -> float:
    """Estimate a quantile from cumulative buckets [(upper bound, count), ...].

    Interpolates linearly inside the bucket holding the quantile, as PromQL's
    histogram_quantile does: the first bucket starts at 0 when its bound is
    positive (else the quantile is that bound). Returns NaN for an empty
    histogram, and the highest finite bound if the quantile lies above it.
    """
    buckets = sorted(buckets)
    if not buckets or buckets[-1][1] <= 0:
        return math.nan
    rank = quantile * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for index, (upper_bound, count) in enumerate(buckets):
        if count >= rank:
            if math.isinf(upper_bound):
                return lower_bound
            if count == lower_count or (index == 0 and upper_bound <= 0):
                return upper_bound
            share = (rank - lower_count) / (count - lower_count)
            return lower_bound + (upper_bound - lower_bound) * share
        lower_bound, lower_count = upper_bound, count
    return lower_bound


def histogram_summary(histogram: Histogram) -> dict[str, object]:
    """Count, mean, median estimate and the cumulative buckets, as JSON data."""
    ordered = histogram.cumulative()
    median = histogram_quantile(0.5, ordered)
    return {
        "count": histogram.count,
        "mean": histogram.total / histogram.count if histogram.count else None,
        "median_estimate": None if math.isnan(median) else round(median, 6),
        "buckets": [
            {"le": "+Inf" if math.isinf(bound) else bound, "count": count}
            for bound, count in ordered
        ],
    }


def summarize(text: str) -> dict[str, object]:
    """The parts of a scrape monitoring cares about, as plain JSON data.

    ``confidence`` and ``predicted_value`` are None when the scrape lacks that
    histogram (a service exports the one of its kind of model).
    """
    scrape = read_scrape(text)
    values = scrape.histograms.get(telemetry.PREDICTED_VALUE)
    return {
        # A classifier counts predictions per class; a regression model's
        # predicted-value histogram counts every prediction.
        "predictions_total": sum(scrape.per_class.values())
        + (values.count if values else 0),
        "predictions_per_class": scrape.per_class,
        **{
            key: histogram_summary(scrape.histograms[name])
            if name in scrape.histograms
            else None
            for key, name in HISTOGRAMS.items()
        },
        "requests": scrape.requests,
    }


def summarize_file(path: Path) -> dict[str, object]:
    """`summarize` of a saved scrape; ValueError if it is not the text format."""
    summary = summarize(path.read_text(encoding="utf-8"))
    return {"source": str(path), **summary}


def _histogram_line(title: str, histogram: dict) -> str:
    mean, median = histogram["mean"], histogram["median_estimate"]
    return (
        f"{title}: {histogram['count']:.0f} observed, "
        f"mean {'-' if mean is None else f'{mean:.3f}'}, "
        f"median ~{'-' if median is None else f'{median:.3f}'}"
    )


def render(summary: dict) -> str:
    lines = [f"Scrape: {summary['source']}"]
    lines.append(f"Predictions: {summary['predictions_total']:.0f}")
    for label, count in summary["predictions_per_class"].items():
        lines.append(f"  {label:<20} {count:>8.0f}")
    for key, title in (("confidence", "Confidence"), ("predicted_value", "Value")):
        if summary[key] is not None:
            lines.append(_histogram_line(title, summary[key]))
    if summary["requests"]:
        lines.append("Requests (endpoint, status):")
        for key, count in summary["requests"].items():
            lines.append(f"  {key:<20} {count:>8.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.metrics", description=__doc__.splitlines()[0]
    )
    parser.add_argument("scrape", nargs="?", type=Path, default=default_scrape_path())
    parser.add_argument("--out", type=Path, default=summary_path())
    args = parser.parse_args(argv)
    if not args.scrape.is_file():
        print(
            f"error: no scrape at {args.scrape}; save one with "
            "curl -s localhost:3000/metrics > FILE (or nox -s serve-check)",
            file=sys.stderr,
        )
        return 2
    try:
        summary = summarize_file(args.scrape)
    except (ValueError, KeyError, UnicodeDecodeError) as error:
        print(
            f"error: {args.scrape} is not a Prometheus scrape: {error}", file=sys.stderr
        )
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(render(summary))
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
