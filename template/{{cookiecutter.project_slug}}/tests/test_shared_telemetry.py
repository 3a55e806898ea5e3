"""The one latency summary the load generator and the serve check report."""

import pytest

from {{ cookiecutter.package_name }}.telemetry import latency_summary_ms


def test_no_latencies_give_no_figures():
    assert latency_summary_ms([]) == dict.fromkeys(("p50", "p95", "p99", "mean"))


def test_one_latency_is_every_figure():
    assert set(latency_summary_ms([3.14159]).values()) == {3.14}


def test_percentiles_interpolate_within_the_measured_range():
    # 1..100 ms: the inclusive method puts p50 halfway between 50 and 51.
    summary = latency_summary_ms([float(ms) for ms in range(100, 0, -1)])
    expected = {"p50": 50.5, "p95": 95.05, "p99": 99.01, "mean": 50.5}
    assert summary == pytest.approx(expected)
    assert summary["p50"] <= summary["p95"] <= summary["p99"] <= 100
