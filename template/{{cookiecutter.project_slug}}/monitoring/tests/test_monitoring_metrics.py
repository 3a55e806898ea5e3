"""`monitoring.metrics` on a scrape in the exact format `bentoml serve` produces."""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import telemetry

import monitoring.metrics as metrics

# A /metrics answer of BentoML 1.4.39 after 13 /predict requests (10 answered,
# 2 rejected as bad input, 1 server error) and 3 readiness probes. Series order,
# label order and the "1.0" counts are as BentoML's multiprocess collector
# writes them (the duration histogram is cut to three buckets).
SCRAPE = (Path(__file__).parent / "data" / "bentoml-metrics.prom").read_text()


def test_the_fixture_uses_the_shared_metric_names():
    assert f"# TYPE {telemetry.PREDICTION_CONFIDENCE} histogram" in SCRAPE
    series = telemetry.PREDICTIONS_EXPORTED + "{" + telemetry.CLASS_LABEL + '="Soup"}'
    assert series in SCRAPE


def test_summary_counts_predictions_per_class():
    summary = metrics.summarize(SCRAPE)
    assert summary["predictions_total"] == 10.0
    assert summary["predictions_per_class"] == {
        "Noodles/Pasta": 1.0,
        "Rice": 3.0,
        "Soup": 6.0,
    }


def test_summary_of_the_confidence_histogram():
    confidence = metrics.summarize(SCRAPE)["confidence"]
    assert confidence["count"] == 10.0
    assert confidence["mean"] == pytest.approx(0.71)
    # Rank 5 of 10 lies in (0.6, 0.7], which holds observations 4 to 6:
    # 0.6 + 0.1 * (5 - 3) / (6 - 3).
    assert confidence["median_estimate"] == pytest.approx(0.666667, abs=1e-6)
    assert confidence["buckets"][0] == {"le": 0.1, "count": 0.0}
    assert confidence["buckets"][-1] == {"le": "+Inf", "count": 10.0}


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
    assert summary["confidence"]["count"] == 0
    assert summary["confidence"]["mean"] is None
    assert summary["confidence"]["median_estimate"] is None


def test_cli_prints_and_writes_the_summary(tmp_path, capsys):
    scrape = tmp_path / "metrics.prom"
    scrape.write_text(SCRAPE)
    out = tmp_path / "summary.json"
    assert metrics.main([str(scrape), "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["source"] == str(scrape)
    assert written["predictions_per_class"]["Soup"] == 6.0
    printed = capsys.readouterr().out
    assert "Predictions: 10" in printed
    assert "median ~0.667" in printed


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
