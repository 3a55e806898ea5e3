"""Production-like traffic for the operation milestone: a day of users, compressed.

Usage: python -m data.production_traffic --url URL [--canary-url URL]
         [--canary-share 0.3] [--hours 24] [--hour-seconds 0.5] [--peak 20]
         [--feedback-share 0.5] [--feedback-delay-hours 2] [--pool synthetic|PATH]
         [--users 4] [--seed 7] [--pool-seed N] [--json PATH] [--truth PATH]

What users send and when follows `data.production_day`: a daily rhythm of
arrivals, an input mix that shifts over the day, inputs training never saw.
With ``--canary-url`` each request goes to the canary with probability
``--canary-share`` (the weighted route a load balancer applies), otherwise to
``--url``. A share of the answered predictions comes back with its true answer
after a delay of about ``--feedback-delay-hours`` (POST /feedback by the
answer's X-Prediction-Id, source "user"); answers still due when the day ends
are sent then, and counted as late.

``--truth`` appends every answered prediction's id and true answer (JSON lines):
what an emulated labeller would answer, and what real users keep to
themselves. The report (``--json``) counts, per stage and per hour, what was
sent and answered, the errors by status, the feedback and the latency.

Exit codes: 0 every request answered 200; 1 some failed; 2 nothing to send.
"""

import argparse
import heapq
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import problem, telemetry
from {{ cookiecutter.package_name }}.problem import Example, ProblemDataError

from .production_day import POOL_SEED, Pool, hourly_requests, make_pool

TIMEOUT_S = 30
ID_HEADER = "X-Prediction-Id"


def post(url: str, body: bytes) -> tuple[int, dict[str, str], float]:
    """Status (0: no answer), headers and seconds of one JSON POST."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            answer.read()
            status, headers = answer.status, dict(answer.headers)
    except urllib.error.HTTPError as error:
        status, headers = error.code, dict(error.headers)
    except OSError:
        status, headers = 0, {}
    return status, headers, time.perf_counter() - started


class Day:
    """One run: sends requests and feedback, and counts what happened."""

    def __init__(self, args: argparse.Namespace, pool: Pool) -> None:
        self.args = args
        self.pool = pool
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.due: list[tuple[float, int, str, Any]] = []  # feedback, by due time
        self.hours: list[Counter[str]] = [Counter() for _ in range(args.hours)]
        self.latencies: dict[str, list[float]] = {}
        self.feedback = Counter()
        self.truth: list[dict[str, Any]] = []
        self.sent_feedback = 0

    def stage_and_url(self) -> tuple[str, str]:
        if self.args.canary_url and self.rng.random() < self.args.canary_share:
            return "canary", self.args.canary_url
        return "production", self.args.url

    def predict(self, hour: int, stage: str, url: str, example: Example) -> None:
        payload = problem.request_payload(self.pool.spec, example.input)
        status, headers, seconds = post(url + "/predict", json.dumps(payload).encode())
        with self.lock:
            self.hours[hour][f"{stage} {status}"] += 1
            self.latencies.setdefault(stage, []).append(seconds * 1000)
            prediction_id = headers.get(ID_HEADER) or headers.get(ID_HEADER.lower())
            if status != 200 or not prediction_id:
                return
            self.truth.append({"id": prediction_id, "label": example.target})
            if self.rng.random() < self.args.feedback_share:
                delay = self.args.feedback_delay_hours * self.args.hour_seconds
                due = time.monotonic() + delay * self.rng.uniform(0.5, 1.5)
                item = (due, self.sent_feedback, url, (prediction_id, example.target))
                heapq.heappush(self.due, item)
                self.sent_feedback += 1

    def send_due_feedback(self, now: float | None) -> None:
        """Feedback due by ``now`` (None: all of it, the day being over)."""
        while True:
            with self.lock:
                if not self.due or (now is not None and self.due[0][0] > now):
                    return
                _, _, url, (prediction_id, label) = heapq.heappop(self.due)
            body = {"prediction_id": prediction_id, "label": label, "source": "user"}
            status, _, _ = post(url + "/feedback", json.dumps(body).encode())
            outcome = "sent" if status == 200 else f"refused {status}"
            self.feedback[outcome if now is not None else f"{outcome} late"] += 1

    def run(self) -> None:
        counts = hourly_requests(self.args.peak, self.args.hours)
        total = sum(counts)
        started = time.monotonic()
        sent = 0
        with ThreadPoolExecutor(self.args.users) as users:
            for hour, count in enumerate(counts):
                hour_start = started + hour * self.args.hour_seconds
                for index in range(count):
                    due = hour_start + index * self.args.hour_seconds / count
                    time.sleep(max(0.0, due - time.monotonic()))
                    self.send_due_feedback(time.monotonic())
                    example = self.pool.draw(self.rng, sent / total, self.args.tilt)
                    users.submit(self.predict, hour, *self.stage_and_url(), example)
                    sent += 1
        self.send_due_feedback(None)

    def report(self) -> dict[str, Any]:
        stages: dict[str, dict[str, Any]] = {}
        for hour in self.hours:
            for key, count in hour.items():
                stage, status = key.split()
                entry = stages.setdefault(
                    stage, {"sent": 0, "answered": 0, "errors": {}}
                )
                entry["sent"] += count
                if status == "200":
                    entry["answered"] += count
                else:
                    entry["errors"][status] = entry["errors"].get(status, 0) + count
        for stage, entry in stages.items():
            entry["latency_ms"] = telemetry.latency_summary_ms(self.latencies[stage])
        return {
            "hours": [dict(sorted(hour.items())) for hour in self.hours],
            "hour_seconds": self.args.hour_seconds,
            "stages": stages,
            "feedback": dict(self.feedback),
            "truth_count": len(self.truth),
        }


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m data.production_traffic", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--url", required=True, help="production, e.g. http://host:3000"
    )
    parser.add_argument("--canary-url", help="a canary that takes a share of traffic")
    parser.add_argument("--canary-share", type=float, default=0.3)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--hour-seconds", type=float, default=0.5)
    parser.add_argument("--peak", type=int, default=20, help="requests, busiest hour")
    parser.add_argument(
        "--tilt", type=float, default=1.5, help="how far the mix shifts"
    )
    parser.add_argument("--feedback-share", type=float, default=0.5)
    parser.add_argument("--feedback-delay-hours", type=float, default=2.0)
    parser.add_argument("--pool", default="synthetic", help="or held-back data: PATH")
    parser.add_argument(
        "--pool-count", type=int, default=40, help="synthetic pool size"
    )
    parser.add_argument("--users", type=int, default=4, help="requests in flight")
    parser.add_argument("--seed", type=int, default=7, help="arrivals and draws")
    parser.add_argument("--pool-seed", type=int, default=POOL_SEED)
    parser.add_argument("--json", type=Path, help="write the report here")
    parser.add_argument("--truth", type=Path, help="append id -> true answer here")
    args = parser.parse_args(argv)
    if not 0 <= args.canary_share <= 1 or not 0 <= args.feedback_share <= 1:
        parser.error("--canary-share and --feedback-share are shares from 0 to 1")
    if args.hours < 1 or args.peak < 1 or args.users < 1 or args.hour_seconds < 0:
        parser.error("--hours, --peak and --users must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        pool = make_pool(args.pool, args.pool_count, args.pool_seed)
    except (ProblemDataError, OSError) as error:
        print(f"error: nothing to send: {error}", file=sys.stderr)
        return 2
    day = Day(args, pool)
    day.run()
    report = day.report()
    for stage, entry in report["stages"].items():
        print(
            f"{stage}: {entry['answered']}/{entry['sent']} answered, errors "
            f"{entry['errors'] or 'none'}, p95 {entry['latency_ms'].get('p95')} ms"
        )
    print(f"feedback: {report['feedback'] or 'none'}")
    if args.json is not None:
        write_text(args.json, json.dumps(report, indent=2) + "\n")
    if args.truth is not None:  # appended: an earlier day's answers stay known
        args.truth.parent.mkdir(parents=True, exist_ok=True)
        with args.truth.open("a", encoding="utf-8") as truth:
            truth.writelines(json.dumps(line) + "\n" for line in day.truth)
    failed = any(entry["errors"] for entry in report["stages"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
