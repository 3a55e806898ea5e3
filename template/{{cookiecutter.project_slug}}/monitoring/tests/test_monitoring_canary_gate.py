"""The canary gate on scrapes written by prometheus-client itself (the library
BentoML exports its metrics with), under the metric names the service uses.

Both kinds of model are covered whatever this project's kind: the gate reads
the kind off the scrape.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from {{ cookiecutter.package_name }} import telemetry
from {{ cookiecutter.package_name }}.scrape import read_scrape

from monitoring import canary_gate
from monitoring.gate_checks import MIN_REQUESTS, gate_checks
from monitoring.scrape_window import window

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CLASSES = ("bread", "dessert", "soup")


class Service:
    """One deployment's metrics, as its /metrics would show them: a classifier's,
    or with ``value_buckets`` a regression model's."""

    def __init__(self, value_buckets: tuple[float, ...] | None = None):
        self.registry = CollectorRegistry()
        labels = ["endpoint", "http_response_code"]
        self.requests = Counter(
            "bentoml_service_request", "requests", labels, registry=self.registry
        )
        self.latency = Histogram(
            "bentoml_service_request_duration_seconds",
            "latency",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rng = np.random.default_rng(7)
        if value_buckets is not None:
            self.values = Histogram(
                telemetry.PREDICTED_VALUE,
                "values",
                buckets=value_buckets,
                registry=self.registry,
            )
            return
        self.classes = Counter(
            telemetry.PREDICTIONS,
            "predictions",
            [telemetry.CLASS_LABEL],
            registry=self.registry,
        )
        self.confidence = Histogram(
            telemetry.PREDICTION_CONFIDENCE,
            "confidence",
            buckets=telemetry.CONFIDENCE_BUCKETS,
            registry=self.registry,
        )

    def answer(
        self,
        count: int,
        *,
        seconds: float = 0.02,
        status: str = "200",
        mix: tuple[float, ...] = (0.5, 0.3, 0.2),
        confidence: float = 0.85,
    ) -> "Service":
        """``count`` classifier answers: their status, latency, classes, confidence."""
        for _ in range(count):
            self.requests.labels("/predict", status).inc()
            latency = self.rng.uniform(0.5, 1.5) * seconds
            self.latency.labels("/predict", status).observe(latency)
            if status == "200":
                self.classes.labels(self.rng.choice(CLASSES, p=mix)).inc()
                spread = self.rng.uniform(-0.05, 0.05)
                self.confidence.observe(min(1.0, confidence + spread))
        return self

    def regress(self, count: int, *, center: float = 2.5) -> "Service":
        """``count`` regression answers around ``center``."""
        for _ in range(count):
            self.requests.labels("/predict", "200").inc()
            self.latency.labels("/predict", "200").observe(0.02)
            self.values.observe(float(self.rng.normal(center, 0.6)))
        return self

    def text(self) -> str:
        return generate_latest(self.registry).decode()

    def scrape(self):
        return read_scrape(self.text())


def verdict(canary: Service, production: Service) -> dict[str, dict]:
    found = gate_checks(canary.scrape(), production.scrape())
    return {check.name: check.to_dict() for check in found}


def test_a_canary_like_production_passes_every_check():
    checks = verdict(Service().answer(300), Service().answer(3000))
    assert set(checks) == {"traffic", "errors", "latency", "predictions", "confidence"}
    assert all(check["passed"] for check in checks.values()), checks


@pytest.mark.parametrize(
    ("canary", "failed"),
    [
        (Service().answer(300).answer(30, status="500"), "errors"),
        (Service().answer(300, seconds=0.2), "latency"),
        (Service().answer(300, mix=(0.1, 0.1, 0.8)), "predictions"),
        (Service().answer(300, confidence=0.45), "confidence"),
        (Service().answer(MIN_REQUESTS - 1), "traffic"),
    ],
)
def test_a_worse_canary_fails_the_check_that_sees_it(canary, failed):
    checks = verdict(canary, Service().answer(3000))
    assert [name for name, check in checks.items() if not check["passed"]] == [failed]


def test_client_errors_are_not_the_canarys_fault():
    canary = Service().answer(300).answer(60, status="400")
    assert verdict(canary, Service().answer(3000))["errors"]["passed"]


def test_a_missing_metric_fails_and_is_named():
    canary = Service()
    canary.requests.labels("/predict", "200").inc(300)  # answers, but no model metrics
    checks = verdict(canary, Service().answer(3000))
    assert not checks["predictions"]["passed"]
    assert telemetry.PREDICTIONS_EXPORTED in checks["predictions"]["reason"]
    assert not checks["latency"]["passed"]
    assert "bentoml_service_request_duration_seconds" in checks["latency"]["reason"]
    silent = verdict(Service().answer(300), Service())  # production never answered
    assert not silent["errors"]["passed"] and not silent["predictions"]["passed"]


def quantile_buckets(center: float, spread: float) -> tuple[float, ...]:
    """Buckets as a regression service makes them: at its training targets'
    quantiles (here of made-up targets)."""
    targets = np.random.default_rng(1).normal(center, spread, 5000)
    shares = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
    return telemetry.value_buckets(list(np.quantile(targets, shares)))


def test_regression_predictions_are_compared_across_other_buckets():
    """A retrained model's buckets follow its own training data."""
    production = Service(value_buckets=quantile_buckets(2.5, 0.6)).regress(3000)
    retrained = quantile_buckets(2.55, 0.65)
    checks = verdict(Service(value_buckets=retrained).regress(300), production)
    assert checks["predictions"]["passed"], checks["predictions"]
    shifted = Service(value_buckets=retrained).regress(300, center=3.2)
    checks = verdict(shifted, production)
    assert not checks["predictions"]["passed"], checks["predictions"]
    assert "KS" in checks["predictions"]["reason"]


def test_a_window_counts_only_what_happened_in_it():
    service = Service().answer(1000, status="500")  # a bad hour, before the window
    start = service.scrape()
    end = service.answer(200).scrape()
    judged = window(start, end)
    assert sum(judged.requests.values()) == 200
    assert judged.latency["/predict"].count == 200
    assert sum(judged.per_class.values()) == 200
    restarted = Service().answer(120).scrape()  # a new process: counters reset
    assert sum(window(start, restarted).requests.values()) == 120


def test_saved_scrapes_give_a_verdict_and_an_exit_code(tmp_path, capsys):
    production = tmp_path / "production.prom"
    production.write_text(Service().answer(3000).text())
    good, bad = tmp_path / "good.prom", tmp_path / "bad.prom"
    good.write_text(Service().answer(300).text())
    bad.write_text(Service().answer(300).answer(40, status="503").text())
    out = tmp_path / "gate.json"
    arguments = ["--production", str(production), "--out", str(out)]
    assert canary_gate.main(["--canary", str(good), *arguments]) == 0
    assert json.loads(out.read_text())["verdict"] == "promote"
    assert canary_gate.main(["--canary", str(bad), *arguments]) == 1
    assert json.loads(out.read_text())["verdict"] == "rollback"
    assert "FAIL  errors" in capsys.readouterr().out
    missing = tmp_path / "nowhere.prom"
    assert canary_gate.main(["--canary", str(missing), *arguments]) == 1
    (check,) = json.loads(out.read_text())["checks"]
    assert check["name"] == "scrape" and str(missing) in check["reason"]


def serve(service: Service) -> ThreadingHTTPServer:
    """The service's /metrics on a free port of loopback, as a real endpoint."""

    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self):
            body = service.text().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_live_deployments_are_judged_on_the_traffic_of_the_window(tmp_path):
    """Scraped over HTTP before and after the window: the canary's bad past is
    not held against it, only what it did while the gate watched."""
    canary = Service().answer(500, status="500")
    production = Service().answer(3000)
    servers = [serve(canary), serve(production)]
    urls = [f"http://127.0.0.1:{s.server_port}/metrics" for s in servers]
    during = threading.Timer(0.3, lambda: (canary.answer(300), production.answer(900)))
    during.start()
    try:
        out = tmp_path / "gate.json"
        sides = ["--canary", urls[0], "--production", urls[1]]
        code = canary_gate.main([*sides, "--window", "1.5", "--out", str(out)])
    finally:
        during.join()
        for server in servers:
            server.shutdown()
            server.server_close()
    checks = {c["name"]: c for c in json.loads(out.read_text())["checks"]}
    assert code == 0, checks
    assert checks["traffic"]["canary"] == 300
