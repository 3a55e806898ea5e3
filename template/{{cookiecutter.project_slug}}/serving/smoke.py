"""Check a real server end to end: contract sample, traffic, bad requests, metrics.

Usage: python -m serving.smoke [--service serving.service:Classifier] [--port 0]
                               [--images 100] [--sample contracts/input.sample.json]

Starts `bentoml serve` (the model must be in the store: python -m serving.package),
then:

1. POSTs the contract's input sample; the answer must match output.schema.json
   (whether it predicts the output sample's class is reported, not required);
2. sends images from the evaluation split as production traffic, which the
   prediction log records for the drift check;
3. sends one bad request of each kind (`serving.bad_requests`): each must get
   its 4xx, and the server must still answer afterwards;
4. scrapes /metrics into artifacts/serving/metrics.prom.

Writes artifacts/serving/smoke.json and exits 1 if anything failed.
"""

import argparse
import io
import json
import statistics
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from PIL import Image

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract import predict_request
from {{ cookiecutter.package_name }}.photos import labelled_photos

from .bad_requests import bad_requests
from .scrape import MetricsMissing, read_prediction_metrics
from .server import BentoServer, Reply, ServerError, request

TRAFFIC_CLIENTS = 4


@dataclass
class SmokeReport:
    service: str
    requests_sent: int = 0
    predictions_answered: int = 0
    errors: list[str] = field(default_factory=list)
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    sample: dict[str, Any] = field(default_factory=dict)
    bad_requests: list[dict[str, Any]] = field(default_factory=list)
    metrics_scraped: bool = False
    predictions_per_class: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["latencies"]
        return {"ok": self.ok, **data}


def smoke_dir() -> Path:
    return paths.artifacts_dir() / "serving"


class SmokeCheck:
    def __init__(self, url: str, report: SmokeReport) -> None:
        self.url = url
        self.report = report
        self._lock = threading.Lock()  # traffic threads update the report
        self.output_schema = json.loads(
            (paths.contracts_dir() / "output.schema.json").read_text()
        )

    def predict(self, body: bytes, what: str) -> Reply:
        with self._lock:
            self.report.requests_sent += 1
        reply = request(self.url + "/predict", body)
        if reply.status >= 500:
            self.report.errors.append(f"{what}: server error {reply.status}")
        return reply

    def valid_answer(self, reply: Reply, what: str) -> dict[str, Any] | None:
        """The answer of a request that had to succeed, or None (error recorded)."""
        if reply.status != 200:
            self.report.errors.append(
                f"{what}: HTTP {reply.status}: {reply.body[:200]!r}"
            )
            return None
        try:
            answer = reply.json()
            jsonschema.validate(answer, self.output_schema)
        except (ValueError, jsonschema.ValidationError) as error:
            message = getattr(error, "message", str(error))
            self.report.errors.append(f"{what}: answer breaks the contract: {message}")
            return None
        with self._lock:
            self.report.predictions_answered += 1
            self.report.latencies.append(reply.seconds)
        return answer

    def contract_sample(self, sample_path: Path) -> None:
        if not sample_path.is_file():
            self.report.errors.append(
                f"{sample_path} is missing; the data room writes it (nox -s data)"
            )
            return
        reply = self.predict(sample_path.read_bytes(), "contract sample")
        answer = self.valid_answer(reply, "contract sample")
        expected_path = paths.contracts_dir() / "output.sample.json"
        expected = json.loads(expected_path.read_text())["prediction"]
        self.report.sample = {
            "schema_valid": answer is not None,
            "prediction": answer and answer["prediction"],
            "probability": answer and answer["probability"],
            "expected": expected,
            "matched": answer is not None and answer["prediction"] == expected,
        }

    def traffic(self, count: int) -> None:
        images = [path for path, _ in labelled_photos("evaluation", count)]
        if count and not images:
            self.report.errors.append(
                f"no evaluation images under {paths.dataset_dir()}: run nox -s data"
            )
            return

        def send(image: Path) -> None:
            reply = self.predict(predict_request(image), image.name)
            self.valid_answer(reply, image.name)

        with ThreadPoolExecutor(TRAFFIC_CLIENTS) as pool:
            list(pool.map(send, images))

    def bad_requests(self) -> None:
        for bad in bad_requests():
            self.report.requests_sent += 1
            reply = request(
                self.url + "/predict", bad.body, content_type=bad.content_type
            )
            try:
                message = str(reply.json().get("error", ""))
            except (ValueError, AttributeError):
                message = ""
            ok = reply.status == bad.status and bad.message in message
            self.report.bad_requests.append(
                {"kind": bad.kind, "status": reply.status, "ok": ok, "error": message}
            )
            if not ok:
                self.report.errors.append(
                    f"bad request {bad.kind}: expected {bad.status} mentioning "
                    f"'{bad.message}', got {reply.status}: {reply.body[:200]!r}"
                )

    def still_serving(self, sample_path: Path) -> None:
        """One good request after the bad ones: the server must still answer."""
        if sample_path.is_file():
            body = sample_path.read_bytes()
        else:
            buffer = io.BytesIO()
            Image.new("RGB", (64, 64), (128, 96, 64)).save(buffer, "JPEG")
            body = predict_request(buffer.getvalue())
        what = "after bad requests"
        self.valid_answer(self.predict(body, what), what)

    def metrics(self, scrape_path: Path) -> None:
        reply = request(self.url + "/metrics")
        if reply.status != 200:
            self.report.errors.append(f"/metrics answered {reply.status}")
            return
        scrape_path.write_bytes(reply.body)
        try:
            scraped = read_prediction_metrics(reply.body.decode())
        except MetricsMissing as error:
            self.report.errors.append(str(error))
            return
        self.report.metrics_scraped = True
        self.report.predictions_per_class = scraped.per_class
        counted = sum(scraped.per_class.values())
        if counted < self.report.predictions_answered:
            self.report.errors.append(
                f"/metrics counts {counted:.0f} predictions, "
                f"{self.report.predictions_answered} were answered"
            )


def percentile_ms(latencies: list[float], q: int) -> float | None:
    if not latencies:
        return None
    if len(latencies) == 1:
        return round(latencies[0] * 1000, 2)
    return round(statistics.quantiles(latencies, n=100)[q - 1] * 1000, 2)


def run(args: argparse.Namespace) -> SmokeReport:
    report = SmokeReport(service=args.service)
    out = smoke_dir()
    out.mkdir(parents=True, exist_ok=True)
    try:
        with BentoServer(
            args.service,
            port=args.port,
            log_path=out / "server.log",
            ready_timeout=args.ready_timeout,
        ) as server:
            check = SmokeCheck(server.url, report)
            check.contract_sample(args.sample)
            check.traffic(args.images)
            check.bad_requests()
            check.still_serving(args.sample)
            check.metrics(out / "metrics.prom")
    except ServerError as error:
        report.errors.append(
            f"{error}\nIs the model in the store? python -m serving.package puts "
            "the latest checkpoint there (nox -s serve and nox -s package run it)."
        )
    report.latency_ms = {
        "p50": percentile_ms(report.latencies, 50),
        "p95": percentile_ms(report.latencies, 95),
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serving.smoke", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--service", default="serving.service:Classifier")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--images", type=int, default=100, help="evaluation images to send"
    )
    parser.add_argument(
        "--sample",
        type=Path,
        default=paths.contracts_dir() / "input.sample.json",
        help="request body to send first (the contract's input sample)",
    )
    parser.add_argument("--ready-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    report = run(args)
    summary = smoke_dir() / "smoke.json"
    summary.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    print(
        f"{report.requests_sent} requests, {report.predictions_answered} predictions, "
        f"p50 {report.latency_ms['p50']} ms, p95 {report.latency_ms['p95']} ms, "
        f"sample {report.sample.get('prediction')} "
        f"(matched: {report.sample.get('matched')}) -> {summary}"
    )
    for error in report.errors:
        print(f"FAILED: {error}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
