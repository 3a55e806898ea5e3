"""`monitoring.metrics` on scrapes in the exact format `bentoml serve` produces.

A classifier's service exports predictions per class and a confidence
histogram, a regression model's a predicted-value histogram; the summary reads
whichever the scrape holds, so both are tested whatever this project's task is.
"""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import telemetry

import monitoring.metrics as metrics

# A /metrics answer of BentoML 1.4.39 after 13 /predict requests (10 answered,
# 2 rejected as bad input, 1 server error) and 3 readiness probes. Series order,
# label order and the "1.0" counts are as BentoML's multiprocess collector
# writes them (the duration histogram is cut to three buckets).
DATA = Path(__file__).parent / "data"
SCRAPE = (DATA / "bentoml-metrics.prom").read_text()
# The same format from a regression model's service: 10 predictions answered,
# 4 requests refused by the contract.
VALUE_SCRAPE = (DATA / "bentoml-metrics-values.prom").read_text()


def test_the_fixture_uses_the_shared_metric_names():
    assert f"# TYPE {telemetry.PREDICTION_CONFIDENCE} histogram" in SCRAPE
    series = telemetry.PREDICTIONS_EXPORTED + "{" + telemetry.CLASS_LABEL + '="ant"}'
    assert series in SCRAPE
    assert f"# TYPE {telemetry.PREDICTED_VALUE} histogram" in VALUE_SCRAPE


def test_summary_counts_predictions_per_class():
    summary = metrics.summarize(SCRAPE)
    assert summary["predictions_total"] == 10.0
    assert summary["predictions_per_class"] == {"ant": 6.0, "bee": 3.0, "cat/dog": 1.0}
    assert summary["predicted_value"] is None


def test_summary_of_the_confidence_histogram():
    confidence = metrics.summarize(SCRAPE)["confidence"]
    assert confidence["count"] == 10.0
    assert confidence["mean"] == pytest.approx(0.71)
    # Rank 5 of 10 lies in (0.6, 0.7], which holds observations 4 to 6:
    # 0.6 + 0.1 * (5 - 3) / (6 - 3).
    assert confidence["median_estimate"] == pytest.approx(0.666667, abs=1e-6)
    assert confidence["buckets"][0] == {"le": 0.1, "count": 0.0}
    assert confidence["buckets"][-1] == {"le": "+Inf", "count": 10.0}


def test_summary_of_the_predicted_value_histogram():
    summary = metrics.summarize(VALUE_SCRAPE)
    assert summary["predictions_total"] == 10.0
    assert summary["predictions_per_class"] == {}
    assert summary["confidence"] is None
    values = summary["predicted_value"]
    assert values["count"] == 10.0
    assert values["mean"] == pytest.approx(28.05)
    # Rank 5 of 10 lies in (25, 33], which holds observations 5 to 7:
    # 25 + 8 * (5 - 4) / (7 - 4).
    assert values["median_estimate"] == pytest.approx(27.666667, abs=1e-6)
    assert values["buckets"][0] == {"le": 12.5, "count": 1.0}
    assert summary["requests"] == {"/predict 200": 10.0, "/predict 422": 4.0}


def test_summary_counts_requests_by_endpoint_and_status():
    assert metrics.summarize(SCRAPE)["requests"] == {
        "/predict 200": 10.0,
        "/predict 400": 2.0,
        "/predict 500": 1.0,
        "/readyz 200": 3.0,
    }


def test_a_scrape_before_any_prediction():
    summary = metrics.summarize(
        "# TYPE bentoml_service_request_in_progress gauge\n"
        'bentoml_service_request_in_progress{endpoint="/predict"} 0.0\n'
    )
    assert summary["predictions_total"] == 0
    assert summary["confidence"] is None and summary["predicted_value"] is None
    # A histogram without observations is exported at once, all zeros.
    name = telemetry.PREDICTED_VALUE
    empty = metrics.summarize(
        f"# TYPE {name} histogram\n"
        + name
        + '_bucket{le="+Inf"} 0.0\n'
        + f"{name}_count 0.0\n{name}_sum 0.0\n"
    )["predicted_value"]
    assert empty["count"] == 0
    assert empty["mean"] is None and empty["median_estimate"] is None


def test_cli_prints_and_writes_the_summary(tmp_path, capsys):
    scrape = tmp_path / "metrics.prom"
    scrape.write_text(SCRAPE)
    out = tmp_path / "summary.json"
    assert metrics.main([str(scrape), "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["source"] == str(scrape)
    assert written["predictions_per_class"]["ant"] == 6.0
    printed = capsys.readouterr().out
    assert "Predictions: 10" in printed
    assert "Confidence: 10 observed, mean 0.710, median ~0.667" in printed
    assert "Value:" not in printed
    scrape.write_text(VALUE_SCRAPE)
    assert metrics.main([str(scrape), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Value: 10 observed, mean 28.050, median ~27.667" in printed
    assert "Confidence:" not in printed


def test_cli_default_paths_follow_artifacts_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path))
    (tmp_path / "serving").mkdir()
    (tmp_path / "serving" / "metrics.prom").write_text(SCRAPE)
    assert metrics.main([]) == 0
    summary = json.loads((tmp_path / "monitoring" / "metrics-summary.json").read_text())
    assert summary["confidence"]["count"] == 10.0


def test_cli_reports_a_missing_or_malformed_scrape(tmp_path, capsys):
    assert metrics.main([str(tmp_path / "absent.prom")]) == 2
    assert "no scrape at" in capsys.readouterr().err
    garbage = tmp_path / "garbage.prom"
    garbage.write_text("<html>502 Bad Gateway</html>\n")
    assert metrics.main([str(garbage), "--out", str(tmp_path / "s.json")]) == 2
    assert "is not a Prometheus scrape" in capsys.readouterr().err
