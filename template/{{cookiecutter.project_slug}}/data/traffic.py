"""Emulated live traffic: many clients sending examples to POST /predict.

Usage: python -m data.traffic --url http://127.0.0.1:3000 [--users 8]
                              [--requests 400] [--duration 60] [--examples 200]
                              [--rounds 1] [--wait-between-rounds]
                              [--json artifacts/traffic/last.json]

Each simulated client (a locust user) sends the contract's input sample, then
examples from the dataset's evaluation split (as `problem.request_payload`
makes them), one request after the other with no pause, until the request
budget is spent or the duration is up, whichever comes first. The run reports
what came back: answers, errors by status, throughput and latency percentiles,
and how this machine's CPU time was spent meanwhile (busy, idle, stolen by the
hypervisor; Linux only). The serving benchmark uses it for every concurrency
level; the operation milestone can point it at a deployed endpoint.

``--rounds N`` splits the budget and the duration into N rounds, each with
fresh clients (and connections), and reports every round as well as the whole:
behaviour over time for the operation milestone. With
``--wait-between-rounds`` it prints each round's report as a JSON line and,
after each round but the last, waits for a line on its standard input: the
serving benchmark measures the model in process during those pauses, with
the server idle, so rounds and measurements alternate.

Exit codes: 0 every request answered 200; 1 some failed; 2 nothing to send.
"""

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem, telemetry
from {{ cookiecutter.package_name }}.hardware import CpuTimes, CpuUse, CpuWatch
from {{ cookiecutter.package_name }}.problem import Example, ProblemDataError

# Status recorded for a request that got no HTTP answer (refused, reset, timeout).
NO_ANSWER = 0


class TrafficError(Exception):
    """Nothing to send: no contract sample and no evaluation examples."""


@dataclass
class RoundReport:
    """One round of a run: its own requests, throughput and CPU."""

    sent: int
    answered: int
    elapsed_s: float  # first request sent to last answer received
    throughput_rps: float
    stopped_by: str  # "budget" or "duration"
    cpu: CpuUse | None  # this machine's CPU over the round; None: not Linux

    def describe(self) -> str:
        return (
            f"{self.answered}/{self.sent} answered in {self.elapsed_s} s, "
            f"{self.throughput_rps} req/s (stopped by {self.stopped_by})"
        )


@dataclass
class TrafficReport:
    url: str
    users: int
    request_budget: int
    duration_limit_s: float
    sent: int = 0
    answered: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0  # the rounds' time, without the pauses between them
    throughput_rps: float = 0.0
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    stopped_by: str = "budget"
    # This machine's CPU over the rounds; None: not Linux.
    cpu: CpuUse | None = None
    rounds: list[RoundReport] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.sent - self.answered

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors}


def labels_in_turn(examples: list[Example]) -> list[Example]:
    """Examples reordered to take each label in turn (A, B, C, A, B, C, ...).

    So a short run still sends every class; without labels (regression) the
    order stays as it is.
    """
    by_label: dict[str, list[Example]] = {}
    for example in examples:
        by_label.setdefault(str(example.target), []).append(example)
    queues = list(by_label.values())
    ordered = []
    for position in range(max((len(queue) for queue in queues), default=0)):
        ordered += [queue[position] for queue in queues if position < len(queue)]
    return ordered


def evaluation_examples(count: int) -> list[bytes]:
    """Request bodies for up to ``count`` examples of the evaluation split."""
    dataset = paths.dataset_dir()
    try:
        spec = problem.read_spec(dataset)
        examples = problem.read_split(dataset / "evaluation", spec)
    except ProblemDataError:
        return []  # no dataset yet: the caller says what is missing
    if spec.classification:
        examples = labels_in_turn(examples)
    return [
        json.dumps(problem.request_payload(spec, example.input)).encode()
        for example in examples[:count]
    ]


def request_bodies(sample: Path | None, count: int) -> list[bytes]:
    """The contract sample first, then up to ``count`` evaluation examples."""
    bodies = [sample.read_bytes()] if sample is not None and sample.is_file() else []
    bodies += evaluation_examples(count)
    if not bodies:
        raise TrafficError(
            "nothing to send: no contract sample and no examples under "
            f"{paths.dataset_dir() / 'evaluation'} "
            "(nox -s data makes both)"
        )
    return bodies


def split_evenly(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` whole shares differing by one at most, larger first."""
    return [total // parts + (part < total % parts) for part in range(parts)]


class RoundInProgress:
    """What the clients of one round have sent and got back so far."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.issued = 0
        self.statuses: Counter[int] = Counter()
        self.latencies_ms: list[float] = []
        self.first_start: float | None = None
        self.last_end = 0.0

    def record(self, status: int, started: float, ended: float) -> None:
        """One request's outcome; the latency counts only for an answer."""
        self.last_end = max(self.last_end, ended)
        self.statuses[status] += 1
        if status == 200:
            self.latencies_ms.append((ended - started) * 1000)

    @property
    def done(self) -> bool:
        return sum(self.statuses.values()) >= self.budget

    def report(self, stopped_by: str, cpu: CpuUse | None) -> RoundReport:
        sent = sum(self.statuses.values())
        answered = self.statuses[200]
        elapsed = 0.0
        if self.first_start is not None:
            elapsed = max(self.last_end - self.first_start, 1e-9)
        return RoundReport(
            sent=sent,
            answered=answered,
            elapsed_s=round(elapsed, 3),
            throughput_rps=round(answered / elapsed, 2) if elapsed else 0.0,
            stopped_by=stopped_by,
            cpu=cpu,
        )


class SharedTraffic:
    """What every client of a run shares: the bodies to send in turn, and the
    round in progress (each round starts fresh clients)."""

    def __init__(self, bodies: list[bytes], budget_spent: Any) -> None:
        self.bodies = bodies
        self.bodies_sent = 0  # over all rounds: each goes on where the last stopped
        self.current = RoundInProgress(0)
        self.budget_spent = budget_spent  # a gevent Event, set when it is done

    def next_body(self) -> bytes:
        body = self.bodies[self.bodies_sent % len(self.bodies)]
        self.bodies_sent += 1
        return body


def contract_client(url: str, timeout_s: float, shared: SharedTraffic) -> type:
    """A locust user that POSTs the shared bodies to ``url``/predict until the
    round's budget is issued, recording each outcome in the round."""
    from locust import FastHttpUser, constant, task
    from locust.exception import StopUser

    class ContractClient(FastHttpUser):
        host = url
        wait_time = constant(0)
        network_timeout = timeout_s
        connection_timeout = timeout_s

        @task
        def predict(self) -> None:
            this_round = shared.current
            if this_round.issued >= this_round.budget:
                raise StopUser
            this_round.issued += 1
            body = shared.next_body()
            started = time.perf_counter()
            if this_round.first_start is None:
                this_round.first_start = started
            status = self.post(body)
            this_round.record(status, started, time.perf_counter())
            if this_round.done:
                shared.budget_spent.set()

        def post(self, body: bytes) -> int:
            """The answer's HTTP status, or NO_ANSWER."""
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
                    return status
            except Exception:
                return NO_ANSWER

    return ContractClient


def run_traffic(
    url: str,
    bodies: list[bytes],
    *,
    users: int,
    request_budget: int,
    duration_s: float,
    timeout_s: float = 60.0,
    rounds: int = 1,
    after_round: Callable[[int, RoundReport], None] | None = None,
) -> TrafficReport:
    """Send up to ``request_budget`` requests from ``users`` clients; report them.

    In ``rounds`` rounds that split the budget and the duration; each starts
    fresh clients once the previous one is over. ``after_round(index, report)``
    is called as each round ends, before the next one starts.
    """
    # Imported here: locust patches the standard library for gevent on import,
    # which only the process that sends traffic should get.
    import gevent
    from gevent.event import Event
    from locust.env import Environment

    report = TrafficReport(url, users, request_budget, duration_s)
    shared = SharedTraffic(bodies, Event())
    environment = Environment(user_classes=[contract_client(url, timeout_s, shared)])
    runner = environment.create_local_runner()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    spent: CpuTimes | None = None
    for index, budget in enumerate(split_evenly(request_budget, rounds)):
        shared.current = RoundInProgress(budget)
        shared.budget_spent.clear()
        with CpuWatch() as watch:
            runner.start(users, spawn_rate=max(users, 1) * 100)
            spent_in_time = shared.budget_spent.wait(timeout=duration_s / rounds)
            stopped_by = "budget" if spent_in_time else "duration"
            runner.stop()
            gevent.sleep(0)
        finished = shared.current.report(stopped_by, watch.use)
        report.rounds.append(finished)
        statuses += shared.current.statuses
        latencies += shared.current.latencies_ms
        if watch.spent is not None:
            spent = watch.spent if spent is None else spent + watch.spent
        if after_round is not None:
            after_round(index, finished)
    runner.quit()
    return with_totals(report, statuses, latencies, spent)


def with_totals(
    report: TrafficReport,
    statuses: Counter[int],
    latencies: list[float],
    spent: CpuTimes | None,
) -> TrafficReport:
    """``report`` with the whole run's figures, from all its rounds'."""
    report.sent = sum(statuses.values())
    report.answered = statuses[200]
    report.statuses = {str(code): count for code, count in sorted(statuses.items())}
    report.elapsed_s = round(sum(r.elapsed_s for r in report.rounds), 3)
    if report.elapsed_s:
        report.throughput_rps = round(report.answered / report.elapsed_s, 2)
    if any(r.stopped_by == "duration" for r in report.rounds):
        report.stopped_by = "duration"
    report.cpu = None if spent is None else spent.shares()
    report.latency_ms = telemetry.latency_summary_ms(latencies)
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked: exits 2 naming a bad option."""
    parser = argparse.ArgumentParser(
        prog="python -m data.traffic", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--url", required=True, help="the service's base URL")
    parser.add_argument("--users", type=int, default=8, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=400, help="request budget")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds at most")
    parser.add_argument(
        "--examples", type=int, default=200, help="evaluation examples to cycle"
    )
    parser.add_argument(
        "--sample",
        type=Path,
        default=paths.contracts_dir() / "input.sample.json",
        help="the contract's input sample, sent first",
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="split the budget and the duration into this many rounds",
    )
    parser.add_argument(
        "--wait-between-rounds",
        action="store_true",
        help="print each round's report as a JSON line; after each but the last, "
        "wait for a line on standard input",
    )
    args = parser.parse_args(argv)
    for name in ("users", "requests", "duration", "rounds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive, got {getattr(args, name)}")
    if args.rounds > args.requests:
        parser.error(
            f"--rounds {args.rounds} is more than --requests {args.requests}: "
            "every round needs a request"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def after_round(index: int, finished: RoundReport) -> None:
        if args.wait_between_rounds:  # for the program driving this run
            print(json.dumps({"round": index + 1, **asdict(finished)}), flush=True)
            if index + 1 < args.rounds:
                sys.stdin.readline()  # end of input: go on without waiting
        elif args.rounds > 1:
            print(f"round {index + 1}/{args.rounds}: {finished.describe()}", flush=True)

    try:
        bodies = request_bodies(args.sample, args.examples)
    except TrafficError as error:
        print(f"python -m data.traffic: {error}", file=sys.stderr)
        return 2
    report = run_traffic(
        args.url.rstrip("/"),
        bodies,
        users=args.users,
        request_budget=args.requests,
        duration_s=args.duration,
        rounds=args.rounds,
        after_round=after_round,
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
