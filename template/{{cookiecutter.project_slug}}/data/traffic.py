"""Emulated live traffic: many clients sending photos to POST /predict.

Usage: python -m data.traffic --url http://127.0.0.1:3000 [--users 8]
                              [--requests 400] [--duration 60] [--images 200]
                              [--json artifacts/traffic/last.json]

Each simulated client (a locust user) sends the contract's input sample, then
photos from the dataset's evaluation split, one request after the other with no
pause, until the request budget is spent or the duration is up, whichever comes
first. The run reports what came back: answers, errors by status, throughput
and latency percentiles, and how this machine's CPU time was spent meanwhile
(busy, idle, stolen by the hypervisor; Linux only). The serving benchmark uses
it for every concurrency level; the operation milestone can point it at a
deployed endpoint.

Exit codes: 0 every request answered 200; 1 some failed; 2 nothing to send.
"""

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract import predict_request
from {{ cookiecutter.package_name }}.hardware import CpuUse, CpuWatch
from {{ cookiecutter.package_name }}.photos import labelled_photos

# Status recorded for a request that got no HTTP answer (refused, reset, timeout).
NO_ANSWER = 0


class TrafficError(Exception):
    """Nothing to send: no contract sample and no evaluation images."""


@dataclass
class TrafficReport:
    url: str
    users: int
    request_budget: int
    duration_limit_s: float
    sent: int = 0
    answered: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    throughput_rps: float = 0.0
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    stopped_by: str = "budget"
    # This machine's CPU over the load; None: not Linux.
    cpu: CpuUse | None = None

    @property
    def errors(self) -> int:
        return self.sent - self.answered

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors}


def request_bodies(sample: Path | None, images: int) -> list[bytes]:
    """The contract sample first, then up to ``images`` evaluation photos.

    Photos are taken from every class in turn, so a short run still covers all.
    """
    bodies = [sample.read_bytes()] if sample is not None and sample.is_file() else []
    bodies += [
        predict_request(path) for path, _ in labelled_photos("evaluation", images)
    ]
    if not bodies:
        raise TrafficError(
            "nothing to send: no contract sample and no images under "
            f"{paths.dataset_dir() / 'evaluation'} "
            "(nox -s data makes both)"
        )
    return bodies


def percentiles_ms(latencies_ms: list[float]) -> dict[str, float | None]:
    if not latencies_ms:
        return {"p50": None, "p95": None, "p99": None, "mean": None}
    if len(latencies_ms) == 1:
        only = round(latencies_ms[0], 2)
        return {"p50": only, "p95": only, "p99": only, "mean": only}
    cuts = statistics.quantiles(latencies_ms, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 2),
        "p95": round(cuts[94], 2),
        "p99": round(cuts[98], 2),
        "mean": round(statistics.fmean(latencies_ms), 2),
    }


def run_traffic(
    url: str,
    bodies: list[bytes],
    *,
    users: int,
    request_budget: int,
    duration_s: float,
    timeout_s: float = 60.0,
) -> TrafficReport:
    """Send up to ``request_budget`` requests from ``users`` clients; report them."""
    # Imported here: locust patches the standard library for gevent on import,
    # which only the process that sends traffic should get.
    import gevent
    from gevent.event import Event
    from locust import FastHttpUser, constant, task
    from locust.env import Environment
    from locust.exception import StopUser

    report = TrafficReport(url, users, request_budget, duration_s)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    issued = 0
    budget_spent = Event()
    first_start: list[float] = []
    last_end = [0.0]

    class ContractClient(FastHttpUser):
        host = url
        wait_time = constant(0)
        network_timeout = timeout_s
        connection_timeout = timeout_s

        @task
        def predict(self) -> None:
            nonlocal issued
            if issued >= request_budget:
                raise StopUser
            issued += 1
            body = bodies[(issued - 1) % len(bodies)]
            started = time.perf_counter()
            if not first_start:
                first_start.append(started)
            status = NO_ANSWER
            try:
                with self.client.post(
                    "/predict",
                    data=body,
                    headers={"Content-Type": "application/json"},
                    catch_response=True,
                ) as response:
                    status = int(response.status_code or NO_ANSWER)
                    if status == 200:
                        response.success()
                    else:
                        response.failure(f"HTTP {status}")
            except Exception:
                status = NO_ANSWER
            ended = time.perf_counter()
            last_end[0] = max(last_end[0], ended)
            statuses[status] += 1
            if status == 200:
                latencies.append((ended - started) * 1000)
            if sum(statuses.values()) >= request_budget:
                budget_spent.set()

    environment = Environment(user_classes=[ContractClient])
    runner = environment.create_local_runner()
    with CpuWatch() as watch:
        runner.start(users, spawn_rate=max(users, 1) * 100)
        if not budget_spent.wait(timeout=duration_s):
            report.stopped_by = "duration"
        runner.quit()
        gevent.sleep(0)
    report.cpu = watch.use

    report.sent = sum(statuses.values())
    report.answered = statuses[200]
    report.statuses = {str(code): count for code, count in sorted(statuses.items())}
    if first_start:
        report.elapsed_s = round(max(last_end[0] - first_start[0], 1e-9), 3)
        report.throughput_rps = round(report.answered / report.elapsed_s, 2)
    report.latency_ms = percentiles_ms(latencies)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data.traffic", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--url", required=True, help="the service's base URL")
    parser.add_argument("--users", type=int, default=8, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=400, help="request budget")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds at most")
    parser.add_argument("--images", type=int, default=200, help="photos to cycle")
    parser.add_argument(
        "--sample",
        type=Path,
        default=paths.contracts_dir() / "input.sample.json",
        help="the contract's input sample, sent first",
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    for name in ("users", "requests", "duration"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive, got {getattr(args, name)}")

    try:
        bodies = request_bodies(args.sample, args.images)
    except TrafficError as error:
        print(f"python -m data.traffic: {error}", file=sys.stderr)
        return 2
    report = run_traffic(
        args.url.rstrip("/"),
        bodies,
        users=args.users,
        request_budget=args.requests,
        duration_s=args.duration,
    )
    document = report.to_json()
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    latency = report.latency_ms
    print(
        f"{report.users} users: {report.answered}/{report.sent} answered "
        f"({report.errors} errors {report.statuses}) in {report.elapsed_s} s, "
        f"{report.throughput_rps} req/s, latency p50 {latency['p50']} "
        f"p95 {latency['p95']} p99 {latency['p99']} ms (stopped by "
        f"{report.stopped_by})"
    )
    if report.cpu is not None:
        print(f"this machine's CPU meanwhile: {report.cpu.describe()}")
    return 0 if report.errors == 0 and report.sent > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
