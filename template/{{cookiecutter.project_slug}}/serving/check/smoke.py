"""Check a real server end to end: contract sample, traffic, bad requests, metrics.

Usage: python -m serving.check [--service serving.service:Predictor] [--port 0]
                               [--examples 100] [--sample contracts/input.sample.json]

Starts `bentoml serve` (the model must be in the store: python -m serving.package),
then:

1. POSTs the contract's input sample; the answer must match output.schema.json
   (whether it predicts the output sample's class is reported, not required);
2. sends examples from the evaluation split as production traffic, which the
   prediction log records for the drift check; every other answer's true label
   goes back to POST /feedback by its prediction id, as users would send it
   (for the online evaluation);
3. sends one bad request of each kind (`serving.check.bad_requests`, from
   input.schema.json): each must get its 4xx, and the server must still answer
   afterwards;
4. scrapes /metrics into artifacts/serving/metrics.prom: it must count every
   answered prediction.

Writes artifacts/serving/smoke.json and exits 1 if anything failed.
"""

import argparse
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from {{ cookiecutter.package_name }} import paths, problem, telemetry

from ..feedback import PREDICTION_ID_HEADER
from ..model_store import NoServableModel, served_model, stored_spec
from .bad_requests import bad_requests
from .scrape import MetricsMissing, read_prediction_metrics
from .server import BentoServer, Reply, ServerError, request

TRAFFIC_CLIENTS = 4
# One answer in this many gets its true answer back as feedback.
FEEDBACK_EVERY = 2


@dataclass
class SmokeReport:
    service: str
    requests_sent: int = 0
    predictions_answered: int = 0
    feedback_sent: int = 0
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
        self.output_schema = read_contract("output.schema.json")
        # A request the server answered: sent again after the bad ones.
        self.good_body: bytes | None = None

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

    def send_good(self, body: bytes, what: str) -> tuple[Reply, dict | None]:
        """Send a request that must be answered; the reply and its answer (None:
        the error is recorded)."""
        reply = self.predict(body, what)
        answer = self.valid_answer(reply, what)
        if answer is not None and self.good_body is None:
            self.good_body = body
        return reply, answer

    def feedback(self, reply: Reply, example: problem.Example) -> None:
        """Send an answered prediction's true answer back, as its user would."""
        prediction_id = reply.headers.get(PREDICTION_ID_HEADER.lower())
        if prediction_id is None:
            return  # a service that does not name its predictions takes none
        body = {"prediction_id": prediction_id, "label": example.target}
        answered = request(self.url + "/feedback", json.dumps(body).encode())
        if answered.status != 200:
            self.report.errors.append(
                f"{example.origin}: feedback refused: HTTP {answered.status}: "
                f"{answered.body[:200]!r}"
            )
            return
        with self._lock:
            self.report.feedback_sent += 1

    def contract_sample(self, sample_path: Path) -> None:
        if not sample_path.is_file():
            self.report.errors.append(
                f"{sample_path} is missing; the data room writes it (nox -s data)"
            )
            return
        _, answer = self.send_good(sample_path.read_bytes(), "contract sample")
        expected = read_contract("output.sample.json")["prediction"]
        self.report.sample = {
            "schema_valid": answer is not None,
            "prediction": answer and answer["prediction"],
            "probability": answer and answer.get("probability"),
            "expected": expected,
            # A class is matched or not; a predicted number is only reported.
            "matched": (
                answer is not None and answer["prediction"] == expected
                if isinstance(expected, str)
                else None
            ),
        }

    def traffic(self, count: int) -> None:
        if not count:
            return
        try:
            spec = problem.read_spec(paths.dataset_dir())
            folder = paths.dataset_dir() / "evaluation"
            examples = evenly_spaced(problem.read_split(folder, spec), count)
        except problem.ProblemDataError as error:
            self.report.errors.append(f"no evaluation examples to send: {error}")
            return

        def send(index: int, example: problem.Example) -> None:
            payload = problem.request_payload(spec, example.input)
            reply, answer = self.send_good(json.dumps(payload).encode(), example.origin)
            if answer is not None and index % FEEDBACK_EVERY == 0:
                self.feedback(reply, example)

        with ThreadPoolExecutor(TRAFFIC_CLIENTS) as pool:
            list(pool.map(send, range(len(examples)), examples))

    def bad_requests(self) -> None:
        schema = read_contract("input.schema.json")
        for bad in bad_requests(schema, problem.MAX_REQUEST_BYTES):
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

    def still_serving(self) -> None:
        """One good request after the bad ones: the server must still answer."""
        if self.good_body is None:
            return  # nothing was answered before: already reported
        what = "after bad requests"
        self.valid_answer(self.predict(self.good_body, what), what)

    def metrics(self, scrape_path: Path) -> None:
        reply = request(self.url + "/metrics")
        if reply.status != 200:
            self.report.errors.append(f"/metrics answered {reply.status}")
            return
        scrape_path.write_bytes(reply.body)
        try:
            spec = stored_spec(served_model())
            scraped = read_prediction_metrics(reply.body.decode(), spec)
        except (MetricsMissing, NoServableModel) as error:
            self.report.errors.append(str(error))
            return
        self.report.metrics_scraped = True
        self.report.predictions_per_class = scraped.per_class
        if scraped.count < self.report.predictions_answered:
            self.report.errors.append(
                f"/metrics counts {scraped.count:.0f} predictions "
                f"({scraped.histogram}), {self.report.predictions_answered} "
                "were answered"
            )


def evenly_spaced(examples: list[problem.Example], count: int) -> list[problem.Example]:
    """Up to ``count`` examples spread over the whole split: a split stored
    class by class gives each class its share (the drift check compares the
    logged predictions' class shares with training's)."""
    total, chosen = len(examples), min(count, len(examples))
    return [examples[i * total // chosen] for i in range(chosen)]


def read_contract(name: str) -> Any:
    return json.loads((paths.contracts_dir() / name).read_text())


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
            check.traffic(args.examples)
            check.bad_requests()
            check.still_serving()
            check.metrics(out / "metrics.prom")
    except ServerError as error:
        report.errors.append(
            f"{error}\nIs the model in the store? python -m serving.package puts "
            "the latest checkpoint there (nox -s serve and nox -s package run it)."
        )
    report.latency_ms = telemetry.latency_summary_ms(
        [seconds * 1000 for seconds in report.latencies]
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serving.check", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--service", default="serving.service:Predictor")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--examples", type=int, default=100, help="evaluation examples to send"
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
        f"{report.feedback_sent} feedback, "
        f"p50 {report.latency_ms['p50']} ms, p95 {report.latency_ms['p95']} ms, "
        f"sample {report.sample.get('prediction')} (expected "
        f"{report.sample.get('expected')}, matched: {report.sample.get('matched')}) "
        f"-> {summary}"
    )
    for error in report.errors:
        print(f"FAILED: {error}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
