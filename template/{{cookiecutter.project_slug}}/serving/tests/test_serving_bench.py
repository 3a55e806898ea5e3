"""`python -m serving.bench` on small settings: it runs and its tables are whole.

Timings are not checked (they are the benchmark's output, not a property);
what is checked is that every option was measured and reported.
"""

import argparse
import itertools
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.model import load_checkpoint

from serving.bench.in_process import (
    Layout,
    LayoutError,
    LayoutProbe,
    LayoutRates,
    Measurement,
    MeasurementError,
    VariantResult,
    default_layouts,
    fastest,
    first_line_starting,
    layout_rates,
    request_bodies,
    requests_per_second,
)
from serving.bench.served import (
    BenchError,
    ServedResult,
    limit_batch_size,
    limit_for_batching,
    limit_for_clients,
    paired_shares,
    share_range,
    traffic,
)
from serving.bench.verdicts import (
    QualityScale,
    machine_noise,
    model_level_verdict,
    served_verdicts,
    serving_cost_ms,
)

CLIENTS = (1, 4)
ROUNDS = 3
LAYOUTS = ("1x1", "2x1")
# (variant, batching, layout) of each option the benchmark test serves.
SERVED_OPTIONS = [
    ("onnx-int8", batching, layout) for batching in ("off", "on") for layout in LAYOUTS
]
# A CPU share read from /proc/stat, which only Linux has.
CPU_SHARE = r"\d+ %" if sys.platform == "linux" else "n/a"


def evaluation_split(write_dataset, artifacts: Path) -> list[problem.Example]:
    """The synthetic dataset's evaluation split under ``artifacts``, as stored."""
    spec = write_dataset(artifacts, ("evaluation",))
    return problem.read_split(artifacts / "data" / "dataset" / "evaluation", spec)


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``."""
    lines = markdown.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    return table[2:]  # without the header and the separator


def log_lines(folders) -> int:
    log = folders.prediction_log
    return len(log.read_text().splitlines()) if log.exists() else 0


def model_described(
    checkpoint: Path, example: problem.Example
) -> tuple[problem.Spec, str, str]:
    """The checkpoint's spec, architecture and input shape as the report writes it."""
    _, spec, metadata = load_checkpoint(checkpoint)
    encoded = problem.encode_input(spec, problem.load_input(example))
    return spec, str(metadata["arch"]), "x".join(map(str, encoded.shape))


@pytest.mark.slow
def test_the_benchmark_measures_every_option_and_writes_the_table(
    served, write_dataset, traffic_python, tmp_path
):
    artifacts = tmp_path / "artifacts"
    examples = evaluation_split(write_dataset, artifacts)
    reports = tmp_path / "reports"
    logged_before = log_lines(served)
    result = served.run(
        *("-m", "serving.bench", "--variants", "eager", "onnx-int8"),
        *("--serve-variants", "onnx-int8"),
        *("--batching", "off", "on", "--clients", *map(str, CLIENTS)),
        *("--requests", "12", "--rounds", str(ROUNDS), "--seconds", "0.2"),
        *("--batch-sizes", "1", "2"),
        *("--layouts", *LAYOUTS, "--traffic-python", traffic_python),
        *("--peak-rps", "100", "--latency-goal-ms", "10000"),
        *("--out", str(reports)),
        ARTIFACTS_DIR=str(artifacts),
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]

    markdown = (reports / "serving-options.md").read_text()
    spec, arch, input_size = model_described(served.checkpoint, examples[0])
    assert f"- Model: {arch} ({problem.TASK}), input {input_size}," in markdown
    assert "cores, GPU: none" in markdown
    assert "python -m serving.bench --variants eager onnx-int8" in markdown
    assert "access log off, tracing off" in markdown  # the service's defaults

    assert_in_process_table(markdown, spec)
    assert_served_table(markdown)
    assert "## Targets" in markdown
    verdicts = markdown.split("## Targets", 1)[1].split("## Right-sizing", 1)[0]
    # One verdict per served option, on all its load levels.
    verdict = r"met at every load level|not met: \d of 2 load levels"
    assert len(re.findall(verdict, verdicts)) == len(SERVED_OPTIONS)
    sizing = markdown.split("## Right-sizing", 1)[1]
    assert sizing.count("- ") == len(SERVED_OPTIONS)  # one line per option
    assert "replicas for 100 req/s" in sizing

    document = json.loads((reports / "serving-options.json").read_text())
    assert document["model"]["arch"] == arch
    assert "x".join(map(str, document["model"]["input_shape"])) == input_size
    # The requests measured in process are the evaluation examples' requests.
    bodies = request_bodies(spec, examples)
    mean_bytes = sum(map(len, bodies)) / len(bodies)
    assert document["model"]["examples"] == len(examples)
    assert document["model"]["request_bytes"] == pytest.approx(mean_bytes, abs=0.5)
    assert document["layouts"] == list(LAYOUTS)
    assert len(document["served"]) == len(SERVED_OPTIONS) * len(CLIENTS)
    assert_rounds_paired_with_limits(document)
    if sys.platform == "linux":  # the CPU shares behind the table's columns
        for row in document["served"]:
            assert 0 <= row["cpu_idle"] + row["cpu_stolen"] <= 1, row
        for variant in document["in_process"]:
            assert set(variant["stolen"]) == set(LAYOUTS), variant
    # The 2x1 server really ran two workers.
    server_log = artifacts / "serving" / "bench" / "server-onnx-int8-off-2x1.log"
    assert "--worker-id 2" in server_log.read_text() or re.search(
        r"\[entry_service:[\w-]+:2\]", server_log.read_text()
    )
    chart = reports / "serving-options.svg"
    assert_chart_has_every_option(chart, options=len(SERVED_OPTIONS))
    # Benchmark traffic stays out of the production prediction log.
    assert log_lines(served) == logged_before


def assert_in_process_table(markdown: str, spec: problem.Spec) -> None:
    """A row per variant and layout: quality, rates, speed-up, stolen CPU."""
    in_process = table_rows(markdown, "## In process")
    assert [row[:2] for row in in_process] == [
        [variant, layout] for variant in ("eager", "onnx-int8") for layout in LAYOUTS
    ]
    for row in in_process:
        if spec.classification:  # accuracy, in %
            assert re.fullmatch(r"\d+\.\d %", row[2]), row
        else:  # mean absolute error, in the target's units
            assert float(row[2]) >= 0, row
        assert all(float(cell) > 0 for cell in row[4:7]), row  # req/s, speed-up
        assert re.fullmatch(CPU_SHARE, row[7]), row  # stolen while measuring
    assert in_process[0][3] == "0.0"  # eager against itself


def assert_served_table(markdown: str) -> None:
    """A row per served option and load level, every request answered."""
    served_rows = table_rows(markdown, "## Served")
    expected = [
        (*option, str(clients)) for option in SERVED_OPTIONS for clients in CLIENTS
    ]
    assert [tuple(row[:4]) for row in served_rows] == expected
    for row in served_rows:
        requests, errors, throughput = int(row[4]), int(row[5]), float(row[6])
        p50, p95, p99, limit = map(float, row[7:11])
        share = float(row[12])
        assert requests == 12 and errors == 0, row
        assert throughput > 0 and 0 < p50 <= p95 <= p99 and limit > 0, row
        assert re.fullmatch(r"\d+ %", row[11]), row  # the limits' spread
        lowest, highest = map(float, row[13].split("-"))  # the rounds' shares
        assert 0 < lowest <= share <= highest, row
        assert all(re.fullmatch(CPU_SHARE, cell) for cell in row[14:16]), row


def assert_rounds_paired_with_limits(document: dict) -> None:
    """Each load level was sent in rounds, the limit measured after each.

    Batch 1 for batching off (one input per call), the table's best batch size
    for batching on. A round's share is of the limit right after it, and of the
    part the clients can use: one client of the 2x1 server keeps one of its two
    workers busy. The row's share is the rounds' median.
    """
    (onnx_int8,) = [v for v in document["in_process"] if v["variant"] == "onnx-int8"]
    for row in document["served"]:
        rates = onnx_int8["rates"][row["layout"]]
        size = 1 if row["batching"] == "off" else int(max(rates, key=rates.get))
        assert row["limit_batch_size"] == size, row
        assert len(row["rounds_rps"]) == len(row["limits_rps"]) == ROUNDS, row
        layout = Layout.parse(row["layout"])
        usable = layout.busy_workers(row["clients"]) / layout.workers
        expected_shares = [
            served / (limit * usable)
            for served, limit in zip(row["rounds_rps"], row["limits_rps"], strict=True)
        ]
        assert row["round_shares"] == pytest.approx(expected_shares, abs=0.0006), row
        assert row["share_of_limit"] == pytest.approx(
            statistics.median(row["round_shares"]), abs=0.0006
        ), row
        assert row["limit_rps"] == pytest.approx(
            statistics.median(row["limits_rps"]) * usable, abs=0.051
        ), row


def assert_chart_has_every_option(path: Path, options: int) -> None:
    """An SVG of the report's size: per option a line through its load levels."""
    svg = ElementTree.parse(path).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert (svg.get("width"), svg.get("height")) == ("900", "560")
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    assert len(svg.findall("svg:polyline", namespace)) == options
    assert len(svg.findall("svg:circle", namespace)) == options * len(CLIENTS)


def test_without_a_model_in_the_store_it_says_to_package_first(
    fresh_folders, traffic_python
):
    result = fresh_folders.run(
        "-m", "serving.bench", "--traffic-python", traffic_python
    )
    assert result.returncode == 2
    assert "python -m serving.package" in result.stderr


@pytest.mark.parametrize(
    ("text", "layout"), [("1x2", Layout(1, 2)), ("4x1", Layout(4, 1))]
)
def test_a_layout_is_workers_x_threads(text, layout):
    assert Layout.parse(text) == layout
    assert layout.label == text


@pytest.mark.parametrize("text", ["2", "0x1", "1x0", "ax1", "2x", "-1x2"])
def test_a_wrong_layout_says_how_to_write_one(text):
    with pytest.raises(LayoutError, match="write <workers>x<threads>"):
        Layout.parse(text)


def test_the_default_layouts_are_one_wide_worker_and_one_worker_per_core():
    assert default_layouts(4) == [Layout(1, 4), Layout(4, 1)]
    assert default_layouts(1) == [Layout(1, 1)]


def served_row(
    layout: str, clients: int, throughput: float, limit: float, stolen: float = 0.0
):
    """A row whose two rounds both served ``throughput`` against ``limit``."""
    return ServedResult(
        "eager", "off", layout, clients, 100, 0, throughput, 1.0, 2.0, 3.0, limit,
        throughput / limit, "budget", cpu_idle=0.1, cpu_stolen=stolen,
        rounds_rps=[throughput] * 2, limits_rps=[limit] * 2,
        round_shares=[throughput / limit] * 2, limit_stolen=0.0,
    )  # fmt: skip


def test_the_serving_cost_is_the_time_serving_adds_to_each_request():
    # Two busy workers: 100 req/s served means 20 ms per request and worker;
    # 125 req/s in process means 16 ms. Serving added 4 ms to each request.
    assert serving_cost_ms(served_row("2x1", 8, 100.0, 125.0)) == pytest.approx(4.0)
    # One client keeps one worker busy: 50 req/s against 62.5 is the same 4 ms.
    assert serving_cost_ms(served_row("2x1", 1, 50.0, 62.5)) == pytest.approx(4.0)


def test_the_share_target_holds_only_when_every_load_level_reaches_it():
    variants = {"eager": VariantResult("eager", 1.0, {"1x2": {1: 100.0}})}
    rows = [served_row("1x2", c, t, 100.0) for c, t in ((1, 90), (8, 80), (32, 95))]
    (line,) = served_verdicts(rows, variants)
    assert "not met: 2 of 3 load levels (best 0.950, lowest 0.800" in line
    rows[1] = served_row("1x2", 8, 84.7, 100.0)  # 0.847: not rounded up to 0.85
    (line,) = served_verdicts(rows, variants)
    assert "not met: 2 of 3 load levels (best 0.950, lowest 0.847" in line
    rows[1] = served_row("1x2", 8, 86.0, 100.0)
    assert "met at every load level" in served_verdicts(rows, variants)[0]
    rows[1].errors = 1  # a level with errors does not count, however fast
    assert "not met: 2 of 3 load levels" in served_verdicts(rows, variants)[0]


def test_batching_off_is_judged_against_batch_1_and_on_against_the_best():
    rates = {"1x2": {1: 100.0, 8: 150.0, 32: 120.0}, "2x1": {8: 90.0, 32: 80.0}}
    result = VariantResult("eager", 1.0, rates)
    assert limit_batch_size(result, "1x2", "off") == 1
    assert limit_batch_size(result, "1x2", "on") == 8
    assert limit_batch_size(result, "2x1", "off") == 8  # no batch 1: the best
    assert limit_for_batching(result, "1x2", "off") == 100.0
    assert limit_for_batching(result, "1x2", "on") == 150.0
    assert limit_for_batching(result, "2x1", "off") == 90.0
    rows = [served_row("1x2", 8, 90.0, 100.0)]
    (line,) = served_verdicts(rows, {"eager": result})
    # The verdict names what larger batches ran in process, and its model work
    # is the batch 1 rate's: 1 / 100 req/s = 10 ms.
    assert "larger batches ran 1.50x this limit" in line
    assert "to 10.0 ms of model work" in line


def test_a_verdict_measured_while_the_hypervisor_took_the_cpu_says_so():
    variants = {"eager": VariantResult("eager", 1.0, {"1x2": {1: 100.0}})}
    rows = [served_row("1x2", c, 70.0, 100.0, stolen=0.01) for c in (1, 8)]
    rows[0].limit_stolen = 0.02
    assert "hypervisor" not in served_verdicts(rows, variants)[0]
    rows[1].cpu_stolen = 0.18  # one load level on a busy host is enough
    (line,) = served_verdicts(rows, variants)
    assert "the hypervisor took up to 18 % of the CPU" in line
    assert "its req/s and latencies are a busy host's" in line
    rows[1].cpu_stolen = None  # unknown (not Linux) is not a warning...
    assert "hypervisor" not in served_verdicts(rows, variants)[0]
    rows[0].limit_stolen = 0.07  # ...but a limit measured on a busy host is
    assert "up to 7 % of the CPU" in served_verdicts(rows, variants)[0]


def test_each_round_is_judged_against_the_limit_measured_right_after_it():
    # A host whose speed moved: the second round and its limit were both slow.
    shares = paired_shares([90.0, 45.0, 88.0], [100.0, 50.0, 100.0], Layout(1, 2), 8)
    assert shares == [0.9, 0.9, 0.88]
    # One client of two single-threaded workers can use half of each limit.
    assert paired_shares([45.0], [100.0], Layout(2, 1), 1) == [0.9]
    # A limit that could not be measured (0) judges no round.
    assert paired_shares([45.0, 50.0], [0.0, 100.0], Layout(1, 2), 1) == [0.5]


def test_a_rows_share_is_the_median_of_its_rounds_and_shows_their_range():
    variants = {"eager": VariantResult("eager", 1.0, {"1x2": {1: 100.0}})}
    row = served_row("1x2", 8, 80.0, 100.0)
    row.round_shares = [0.62, 0.88, 0.91]  # one round on a busy moment
    row.share_of_limit = statistics.median(row.round_shares)
    assert share_range(row) == "0.620-0.910"
    (line,) = served_verdicts([row], variants)
    assert "met at every load level (best 0.880, lowest 0.880" in line
    row.round_shares = []
    assert share_range(row) == "n/a"


def test_limits_that_differ_between_rounds_make_the_verdict_say_so():
    variants = {"eager": VariantResult("eager", 1.0, {"1x2": {1: 100.0}})}
    rows = [served_row("1x2", c, 90.0, 100.0) for c in (1, 8, 32)]
    rows[1].limits_rps = [100.0, 92.0, 96.0]
    assert rows[1].limit_spread == pytest.approx(0.08)
    assert machine_noise(rows) == ""  # within 10 %: no warning
    rows[2].limits_rps = [108.0, 54.0]
    (line,) = served_verdicts(rows, variants)
    assert "the limits measured between its rounds differed by up to 50 %" in line
    assert "its req/s and latencies are a busy host's" in line
    rows[2].cpu_stolen = 0.2  # both reasons, in one clause
    assert machine_noise(rows) == (
        "the hypervisor took up to 20 % of the CPU while this option or its limit "
        "was measured and the limits measured between its rounds differed by up "
        "to 50 %"
    )
    rows[2].limits_rps = []  # not measured: nothing to say about it
    rows[2].cpu_stolen = 0.0
    assert machine_noise(rows) == ""


def test_of_several_in_process_measurements_the_fastest_counts():
    measured = [
        LayoutRates({1: 40.0, 8: 90.0}, stolen=0.01),
        LayoutRates({1: 55.0, 8: 70.0}, stolen=None),  # unknown: not Linux
        LayoutRates({1: 50.0, 8: 85.0}, stolen=0.12),
    ]
    assert fastest(measured) == LayoutRates({1: 55.0, 8: 90.0}, stolen=0.12)
    assert fastest([LayoutRates({1: 5.0}, None)]).stolen is None


@pytest.mark.parametrize(
    ("layout", "clients", "share"),
    [("2x1", 1, 0.5), ("2x1", 2, 1.0), ("2x1", 32, 1.0), ("1x2", 1, 1.0),
     ("4x1", 3, 0.75)],
)  # fmt: skip
def test_fewer_clients_than_workers_can_use_only_part_of_the_limit(
    layout, clients, share
):
    reachable = limit_for_clients(200.0, Layout.parse(layout), clients)
    assert reachable == pytest.approx(200.0 * share)


class CountingRuntime:
    """Answers every batch after ``seconds``, keeping the inputs it was given."""

    variant = "counting"

    def __init__(self, spec: problem.Spec, seconds: float) -> None:
        self.spec = spec
        self.seconds = seconds
        self.inputs: list[np.ndarray] = []

    def predict(self, batch: np.ndarray) -> np.ndarray:
        time.sleep(self.seconds)
        self.inputs += list(batch)
        return np.zeros((len(batch), max(len(self.spec.labels), 1)), np.float32)


def test_a_measurement_lasts_its_seconds_and_the_next_goes_on_with_the_requests():
    source = problem.synthetic_source(25, seed=4)
    spec = problem.fit(source.spec, source.examples, {})
    examples = source.examples[:25]
    bodies = itertools.cycle(request_bodies(spec, examples))
    runtime = CountingRuntime(spec, seconds=0.02)
    rate = requests_per_second(runtime, bodies, batch_size=2, seconds=0.1)
    # A warm-up batch, then batches until 0.1 s had passed: far fewer than the
    # 25 requests (a measurement is not stretched to a whole pass over them).
    assert 2 + 2 * 3 <= len(runtime.inputs) <= 2 + 2 * 6
    assert 0 < rate <= 2 / 0.02
    first = len(runtime.inputs)
    requests_per_second(runtime, bodies, batch_size=1, seconds=0.01)
    # Each request was decoded and encoded as training encodes its example,
    # and the next measurement took the requests that came next.
    encoded = [problem.encode_input(spec, problem.load_input(e)) for e in examples]
    for number, given in enumerate(runtime.inputs[: first + 2]):
        np.testing.assert_allclose(given, encoded[number], atol=1e-6)


def test_a_variant_keeps_the_quality_within_a_point_or_a_percent_of_the_error():
    accuracy = QualityScale("accuracy")
    assert accuracy.cell(0.9312) == "93.1 %"
    assert accuracy.change(0.925, 0.93) == pytest.approx(-0.5)
    assert accuracy.kept(0.925, 0.93) and not accuracy.kept(0.915, 0.93)
    error = QualityScale("mae")
    assert error.cell(3.14159) == "3.142"
    assert error.change(3.06, 3.0) == pytest.approx(2.0)  # % of eager's error
    assert error.kept(2.98, 3.0) and not error.kept(3.06, 3.0)
    assert error.change(3.0, None) is None and not error.kept(None, 3.0)
    variants = [
        VariantResult("eager", 3.0, {"1x2": {1: 100.0}}),
        VariantResult("onnx-int8", 3.02, {"1x2": {1: 250.0, 8: 260.0}}),
        VariantResult("onnx", 3.5, {"1x2": {1: 400.0}}),  # faster, but worse
    ]
    assert model_level_verdict(variants, error) == (
        "met: onnx-int8 is 2.60x eager (best in-process rates), "
        "MAE within 1 % of eager's"
    )
    assert model_level_verdict(variants[::2], error) == (
        "not met: no variant kept the MAE within 1 % of eager's"
    )


def fake_load_generator(tmp_path, script: str) -> str:
    """A program run as ``<it> -m data.traffic ...`` that does what ``script`` says."""
    program = tmp_path / "fake-python"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    return str(program)


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script")
def test_a_load_generator_that_fails_mid_run_is_reported_with_its_error(tmp_path):
    one_round_then_fail = (
        "echo 'starting'; "
        'echo \'{"round": 1, "elapsed_s": 0.01, "throughput_rps": 5.0}\'; '
        "read go; echo 'locust gave up' >&2; exit 3"
    )
    args = argparse.Namespace(
        traffic_python=fake_load_generator(tmp_path, one_round_then_fail),
        requests=4,
        duration=5.0,
        rounds=2,
    )
    rounds = []
    with pytest.raises(BenchError, match="the load generator failed") as err:
        traffic(args, "http://127.0.0.1:9", 1, tmp_path / "out", rounds.append)
    # The first round was measured before the second was asked for.
    assert [finished["round"] for finished in rounds] == [1]
    assert "exit 3" in str(err.value) and "locust gave up" in str(err.value)
    assert "Is locust installed for" in str(err.value)


def test_a_measuring_process_that_fails_is_reported_with_its_error(tmp_path):
    missing = tmp_path / "no-such-model.pt"
    measurement = Measurement(missing, "eager", (1,), 0.1, 1)
    with pytest.raises(MeasurementError, match="measuring eager as 2x1 failed") as err:
        layout_rates(measurement, Layout(2, 1), tmp_path / "work")
    assert "no-such-model.pt" in str(err.value)


def test_a_probe_stays_loaded_and_measures_whenever_asked(
    save_model, write_dataset, tmp_path, monkeypatch
):
    artifacts = tmp_path / "artifacts"
    evaluation_split(write_dataset, artifacts)
    monkeypatch.setenv("ARTIFACTS_DIR", str(artifacts))  # what the processes read
    checkpoint = save_model(artifacts / "models" / "model.pt")
    measurement = Measurement(checkpoint, "eager", (1, 2), 0.05, 4)
    with LayoutProbe(measurement, Layout(2, 1), tmp_path / "probe") as probe:
        pids = [process.pid for process in probe.processes]
        first = probe.measure([2], 0.05)
        second = probe.measure([1, 2], 0.05)
        # The same two processes answered both orders, each rate summed.
        assert [process.pid for process in probe.processes] == pids
        assert all(process.poll() is None for process in probe.processes)
    assert set(first.rates) == {2} and set(second.rates) == {1, 2}
    assert all(rate > 0 for rate in (*first.rates.values(), *second.rates.values()))
    # Closed: the end of their input ended them.
    assert all(process.returncode == 0 for process in probe.processes)


def test_an_answer_that_never_comes_ends_the_wait_and_the_process():
    silent_after_noise = "print('noise', flush=True); __import__('time').sleep(60)"
    quiet = subprocess.Popen(
        [sys.executable, "-c", silent_after_noise],
        stdout=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    assert first_line_starting(quiet, "{", timeout=1.0) is None
    assert time.monotonic() - started < 30
    assert quiet.wait(timeout=10) != 0  # killed
    talking = subprocess.Popen(
        [sys.executable, "-c", "print('noise'); print('{\"1\": 2.0}')"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert first_line_starting(talking, "{", timeout=30) == '{"1": 2.0}'
    talking.wait(timeout=10)
