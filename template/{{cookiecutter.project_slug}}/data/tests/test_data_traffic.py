"""`python -m data.traffic` against a small local HTTP server that keeps count.

The server answers like the service (a prediction, or 503 for every fifth
request), so the report's counts can be checked against what really happened.
The requests come from a small prepared dataset, whatever the problem's kind.
"""

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import JsonHandler, LocalServer, serving

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.problem import Example

from data.prepare import prepare
from data.traffic import labels_in_turn, request_bodies

REPO_ROOT = Path(__file__).resolve().parents[2]


class CountingServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(PredictHandler)
        self.bodies: list[dict] = []


class PredictHandler(JsonHandler):
    server: CountingServer

    def do_POST(self) -> None:
        body = self.read_json()
        with self.server.lock:
            self.server.bodies.append(body)
            count = len(self.server.bodies)
        self.send_json(503 if count % 5 == 0 else 200, {"prediction": 1})


@pytest.fixture
def server() -> Iterator[CountingServer]:
    running = CountingServer()
    with serving(running):
        yield running


def run_traffic(artifacts: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "data.traffic", *args],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "ARTIFACTS_DIR": str(artifacts)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def canonical(body: bytes | dict) -> str:
    return json.dumps(
        json.loads(body) if isinstance(body, bytes) else body, sort_keys=True
    )


def test_labels_take_turns_so_a_short_run_sends_every_class():
    examples = [Example(i, label, str(i)) for i, label in enumerate("aaabbc")]
    ordered = labels_in_turn(examples)
    assert [e.target for e in ordered] == ["a", "b", "c", "a", "b", "a"]
    assert sorted(e.input for e in ordered) == list(range(6))


def test_bodies_are_the_sample_then_evaluation_examples(artifacts, tmp_path):
    prepare(count=3)
    sample = tmp_path / "input.sample.json"
    sample.write_text('{"sample": true}')
    dataset = artifacts / "data" / "dataset"
    spec = problem.read_spec(dataset)
    evaluation = problem.read_split(dataset / "evaluation", spec)
    if spec.classification:
        evaluation = labels_in_turn(evaluation)
        assert {e.target for e in evaluation[: len(spec.labels)]} == set(spec.labels)
    bodies = request_bodies(sample, 4)
    assert bodies[0] == sample.read_bytes()
    assert [canonical(body) for body in bodies[1:]] == [
        canonical(problem.request_payload(spec, e.input)) for e in evaluation[:4]
    ]


def test_a_fixed_budget_is_sent_and_every_answer_counted(server, artifacts, tmp_path):
    prepare(count=3)
    sample = tmp_path / "input.sample.json"
    sample.write_text(json.dumps({"sample": "first"}))
    report_path = tmp_path / "traffic.json"

    result = run_traffic(
        artifacts,
        *("--url", server.url, "--users", "4", "--requests", "40"),
        *("--duration", "60", "--sample", str(sample), "--json", str(report_path)),
        *("--examples", "3"),
    )

    # Every fifth request got a 503: the run reports errors and exits 1.
    assert result.returncode == 1, result.stderr
    report = json.loads(report_path.read_text())
    assert len(server.bodies) == 40
    assert report["sent"] == 40
    assert report["answered"] == 32
    assert report["errors"] == 8
    assert report["statuses"] == {"200": 32, "503": 8}
    assert report["stopped_by"] == "budget"
    assert report["throughput_rps"] > 0
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    # The contract sample and three evaluation examples, each sent in turn.
    bodies = [canonical(body) for body in request_bodies(sample, 3)]
    assert bodies[0] == canonical({"sample": "first"})
    assert Counter(canonical(body) for body in server.bodies) == Counter(
        bodies[number % len(bodies)] for number in range(40)
    )
    assert "32/40 answered" in result.stdout


def test_the_duration_stops_a_run_whose_budget_is_not_spent(server, artifacts):
    prepare(count=3)
    result = run_traffic(
        artifacts,
        *("--url", server.url, "--users", "2", "--requests", "100000"),
        *("--duration", "1.5", "--json", str(artifacts / "t.json")),
    )
    report = json.loads((artifacts / "t.json").read_text())
    assert report["stopped_by"] == "duration", result.stderr
    assert 0 < report["sent"] < 100000
    # How the machine's CPU was spent during the load: read from /proc/stat.
    if sys.platform == "linux":
        cpu = report["cpu"]
        assert set(cpu) == {"busy", "idle", "stolen"}
        assert sum(cpu.values()) == pytest.approx(1.0, abs=0.002)
        assert cpu["busy"] > 0  # the clients themselves ran
        assert "this machine's CPU meanwhile:" in result.stdout
    else:
        assert report["cpu"] is None


def test_without_anything_to_send_it_says_what_is_missing(artifacts, tmp_path):
    # No dataset and no sample.
    result = run_traffic(
        artifacts,
        *("--url", "http://127.0.0.1:9", "--sample", str(tmp_path / "none.json")),
    )
    assert result.returncode == 2
    assert "nox -s data" in result.stderr
    assert str(artifacts / "data" / "dataset" / "evaluation") in result.stderr


def test_an_unreachable_server_counts_as_errors_not_a_crash(artifacts):
    prepare(count=3)
    result = run_traffic(
        artifacts,
        *("--url", "http://127.0.0.1:9", "--users", "1", "--requests", "3"),
        *("--duration", "20", "--json", str(artifacts / "t.json")),
    )
    assert result.returncode == 1
    report = json.loads((artifacts / "t.json").read_text())
    assert report["answered"] == 0
    assert report["statuses"] == {"0": 3}


def test_rounds_split_the_budget_and_each_is_reported(server, artifacts, tmp_path):
    prepare(count=3)
    report_path = tmp_path / "traffic.json"
    result = run_traffic(
        artifacts,
        *("--url", server.url, "--users", "2", "--requests", "10", "--rounds", "3"),
        *("--duration", "60", "--json", str(report_path)),
    )
    report = json.loads(report_path.read_text())
    rounds = report["rounds"]
    assert [r["sent"] for r in rounds] == [4, 3, 3], result.stderr
    assert len(server.bodies) == report["sent"] == 10
    # Requests 5 and 10 got a 503: the second round's last and the third's last.
    assert [r["answered"] for r in rounds] == [4, 2, 2]
    assert report["statuses"] == {"200": 8, "503": 2}
    assert all(r["stopped_by"] == "budget" and r["throughput_rps"] > 0 for r in rounds)
    # The whole is the rounds' time, without the pauses between them.
    assert report["elapsed_s"] == pytest.approx(sum(r["elapsed_s"] for r in rounds))
    assert report["throughput_rps"] == pytest.approx(8 / report["elapsed_s"], rel=0.01)
    assert "round 1/3: 4/4 answered" in result.stdout
    assert "round 3/3: 2/3 answered" in result.stdout


def test_waiting_between_rounds_sends_nothing_until_a_line_arrives(server, artifacts):
    prepare(count=3)
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "data.traffic", "--url", server.url, "--users", "1"),
            *("--requests", "4", "--rounds", "2", "--wait-between-rounds"),
        ],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "ARTIFACTS_DIR": str(artifacts)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        first = json.loads(process.stdout.readline())
        assert first["round"] == 1 and first["answered"] == 2
        time.sleep(1.0)  # a waiting run sends nothing meanwhile
        assert len(server.bodies) == 2
        process.stdin.write("\n")
        process.stdin.flush()
        second = json.loads(process.stdout.readline())
        assert second["round"] == 2 and second["answered"] == 2
        assert process.wait(timeout=30) == 0
        assert len(server.bodies) == 4
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--rounds", "0"), "--rounds must be positive, got 0"),
        (("--requests", "3", "--rounds", "4"), "every round needs a request"),
    ],
)
def test_impossible_rounds_are_refused(artifacts, options, message):
    result = run_traffic(artifacts, "--url", "http://127.0.0.1:9", *options)
    assert result.returncode == 2
    assert message in result.stderr
