"""In-process measurements of each model variant: the limit a server can reach.

For every variant of `serving.runtimes`: how many requests per second the
machine turns into model outputs (JSON parsing, `problem.decode_request`,
`problem.encode_input` and the forward pass, exactly the service's work minus
HTTP), at several batch sizes, over requests made from the evaluation split's
examples, and the variant's quality on that split (the problem's primary
metric: accuracy, or mean absolute error).

Rates are measured per `Layout`, the way a server shares the CPU: ``2x1`` is
two processes of one compute thread each, started together, their rates
summed, as two service workers would run. Each process is a fresh
``python -m serving.bench.in_process`` (this module's command line), so no process
inherits another's thread settings; a `LayoutProbe` keeps them loaded, so the
benchmark can measure again after each round of served load. While they
measure, the machine's CPU time is watched: the share the hypervisor gave to
other guests is kept with the rates.
"""

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from {{ cookiecutter.package_name }} import paths, problem, quality
from {{ cookiecutter.package_name }}.hardware import CpuWatch
from {{ cookiecutter.package_name }}.model import load_checkpoint
from {{ cookiecutter.package_name }}.problem import Example, Spec

from ..runtimes import Runtime, RuntimeOptions, load_predictor

QUALITY_BATCH = 64
# A measuring process prints this once loaded, then waits for a line to start.
READY = "ready"
# Seconds a measuring process may take to load its model and warm up.
LOAD_TIMEOUT_S = 300


@dataclass(frozen=True)
class ModelFacts:
    """What was served and how it is judged, so figures can be compared."""

    task: str
    arch: str
    input_shape: tuple[int, ...]  # one input, as `problem.encode_input` makes it
    parameters: int
    mmacs: float  # millions of multiply-accumulates per input
    examples: int  # evaluation examples the requests and the quality come from
    request_bytes: int  # mean size of their request bodies
    metric: str  # the quality column: `quality.primary_metric`

    @property
    def input_size(self) -> str:
        """The input's shape, e.g. "3x64x64"."""
        return "x".join(map(str, self.input_shape))


class LayoutError(ValueError):
    """A layout that is not ``<workers>x<threads>``."""


class MeasurementError(RuntimeError):
    """A measuring process failed; the message ends with its error output."""


@dataclass(frozen=True)
class Layout:
    """How a server shares the CPU: ``workers`` processes of ``threads`` each."""

    workers: int
    threads: int

    @property
    def label(self) -> str:
        return f"{self.workers}x{self.threads}"

    def busy_workers(self, clients: int) -> int:
        """Workers ``clients`` can keep busy: each has one request in flight."""
        return min(clients, self.workers)

    @classmethod
    def parse(cls, text: str) -> "Layout":
        workers, _, threads = text.partition("x")
        if workers.isdigit() and threads.isdigit() and int(workers) and int(threads):
            return cls(int(workers), int(threads))
        raise LayoutError(
            f"{text!r} is not a layout: write <workers>x<threads>, both 1 or "
            "more, e.g. 2x1"
        )


def default_layouts(cores: int) -> list[Layout]:
    """One worker using every core, and one single-threaded worker per core."""
    return list(dict.fromkeys([Layout(1, cores), Layout(cores, 1)]))


@dataclass
class VariantResult:
    variant: str
    quality: float | None  # the primary metric on the evaluation examples
    # layout label -> batch size -> requests per second, decode + forward
    rates: dict[str, dict[int, float]] = field(default_factory=dict)
    # layout label -> share of the CPU stolen while its rates were measured
    stolen: dict[str, float | None] = field(default_factory=dict)

    def limit(self, layout: str | None = None) -> float:
        """The best rate over the batch sizes of ``layout`` (default: any layout)."""
        chosen = [self.rates.get(layout, {})] if layout else self.rates.values()
        return max((rate for rates in chosen for rate in rates.values()), default=0.0)


def evaluation_examples(count: int) -> list[Example]:
    """Up to ``count`` examples of the dataset's evaluation split, evenly spread.

    Taken at even steps through the split, so a split stored class by class
    still gives every class its share. `ProblemDataError` if there is none.
    """
    dataset = paths.dataset_dir()
    examples = problem.read_split(dataset / "evaluation", problem.read_spec(dataset))
    if count >= len(examples):
        return examples
    return [examples[number * len(examples) // count] for number in range(count)]


def request_bodies(spec: Spec, examples: Sequence[Example]) -> list[bytes]:
    """The service's request body for each example."""
    return [
        json.dumps(problem.request_payload(spec, example.input)).encode()
        for example in examples
    ]


def model_facts(checkpoint: Path, examples: Sequence[Example]) -> ModelFacts:
    """Size and compute of the served model, and the requests it is sent."""
    from torch.utils.flop_counter import FlopCounterMode

    model, spec, metadata = load_checkpoint(checkpoint)
    encoded = problem.encode_input(spec, problem.load_input(examples[0]))
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.from_numpy(encoded)[None])
    bodies = request_bodies(spec, examples)
    metric, _ = quality.primary_metric(spec)
    return ModelFacts(
        task=spec.task,
        arch=str(metadata["arch"]),
        input_shape=tuple(encoded.shape),
        parameters=sum(p.numel() for p in model.parameters()),
        mmacs=round(counter.get_total_flops() / 2 / 1e6, 2),
        examples=len(bodies),
        request_bytes=round(sum(map(len, bodies)) / len(bodies)),
        metric=metric,
    )


def encoded_batch(spec: Spec, decoded: Sequence[object]) -> np.ndarray:
    """Decoded inputs as one batch of the model's input."""
    return np.stack([problem.encode_input(spec, value) for value in decoded])


def evaluation_quality(runtime: Runtime, examples: list[Example]) -> float | None:
    """The runtime's primary metric on ``examples`` (None: no examples)."""
    if not examples:
        return None
    spec = runtime.spec
    predictions = []
    for start in range(0, len(examples), QUALITY_BATCH):
        chunk = examples[start : start + QUALITY_BATCH]
        batch = encoded_batch(spec, [problem.load_input(e) for e in chunk])
        predictions += [
            problem.answer(spec, row)["prediction"] for row in runtime.predict(batch)
        ]
    metric, _ = quality.primary_metric(spec)
    targets = [example.target for example in examples]
    return quality.quality(spec, targets, predictions)[metric]


def decode_and_predict(runtime: Runtime, bodies: Sequence[bytes]) -> np.ndarray:
    """The service's work for ``bodies``, as one batch."""
    spec = runtime.spec
    decoded = [problem.decode_request(spec, json.loads(body)) for body in bodies]
    return runtime.predict(encoded_batch(spec, decoded))


def requests_per_second(
    runtime: Runtime, bodies: Iterator[bytes], batch_size: int, seconds: float
) -> float:
    """Requests handled per second, in batches of ``batch_size``, for ``seconds``.

    ``bodies`` go on where the last measurement stopped, so short measurements
    still take every request in turn. At least one batch is timed.
    """

    def next_batch() -> list[bytes]:
        return [next(bodies) for _ in range(batch_size)]

    decode_and_predict(runtime, next_batch())  # warm-up: first-call allocations
    done, started = 0, time.perf_counter()
    while True:
        done += len(decode_and_predict(runtime, next_batch()))
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


@dataclass(frozen=True)
class Measurement:
    """What each measuring process is asked to do."""

    checkpoint: Path
    variant: str
    batch_sizes: Sequence[int]
    seconds: float
    examples: int  # evaluation examples the requests are made from
    repeats: int = 1  # each rate is the fastest of this many measurements

    def command(self, threads: int, workdir: Path) -> list[str]:
        return [
            sys.executable,
            *("-m", "serving.bench.in_process", "--checkpoint", str(self.checkpoint)),
            *("--variant", self.variant, "--threads", str(threads)),
            *("--batch-sizes", *map(str, self.batch_sizes)),
            *("--examples", str(self.examples)),
            *("--workdir", str(workdir)),
        ]


@dataclass(frozen=True)
class LayoutRates:
    rates: dict[int, float]  # batch size -> req/s, summed over the processes
    # The share of the CPU stolen while they measured (None: unknown).
    stolen: float | None


def most_stolen(shares: Iterable[float | None]) -> float | None:
    """The largest of the known stolen shares (None: none known)."""
    return max((share for share in shares if share is not None), default=None)


def fastest(measured: Sequence[LayoutRates]) -> LayoutRates:
    """Each batch size's fastest rate, and the most CPU stolen meanwhile.

    Another guest only ever slows a measurement down, so of several the
    fastest is the closest to what the machine itself can do (the reasoning
    behind timeit reporting its fastest run).
    """
    sizes = dict.fromkeys(size for rates in measured for size in rates.rates)
    rates = {size: max(m.rates.get(size, 0.0) for m in measured) for size in sizes}
    return LayoutRates(rates, most_stolen(m.stolen for m in measured))


def start_talking(command: list[str], log: Path) -> subprocess.Popen[str]:
    """``command`` at the repository root, spoken to through its input and output.

    Its error output goes to ``log``: a full stderr pipe would stall it unread.
    """
    with log.open("w") as errors:
        return subprocess.Popen(
            command,
            cwd=paths.REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(paths.REPO_ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )


def first_line_starting(
    process: subprocess.Popen[str], prefix: str, timeout: float
) -> str | None:
    """The process's next output line starting with ``prefix``; None if none came.

    A library may print lines of its own first. A process that has not printed
    the line within ``timeout`` seconds is killed, which ends its output.
    """
    assert process.stdout is not None
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    try:
        for line in process.stdout:
            if line.startswith(prefix):
                return line.strip()
        return None
    finally:
        watchdog.cancel()


class LayoutProbe:
    """``layout.workers`` measuring processes, loaded once, measured on demand.

    Each `measure` starts all of them together and sums their rates. Between
    measurements they wait for the next request without using the CPU, so the
    benchmark can measure the limit again right after each round of served
    load while the server idles: on a shared machine whose speed moves, a
    served figure is compared with the speed the machine had right then, not
    minutes earlier.
    """

    def __init__(self, measurement: Measurement, layout: Layout, workdir: Path):
        self.measurement = measurement
        self.layout = layout
        self.workdir = workdir
        self.processes: list[subprocess.Popen[str]] = []
        self.logs = [workdir / f"process-{n}.log" for n in range(layout.workers)]

    def __enter__(self) -> "LayoutProbe":
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            for number, log in enumerate(self.logs):
                self._start(number, log)
            # Each process loads and warms up first, then says it is ready.
            for process, log in zip(self.processes, self.logs, strict=True):
                if first_line_starting(process, READY, LOAD_TIMEOUT_S) is None:
                    raise self._failure(log)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def measure(self, batch_sizes: Sequence[int], seconds: float) -> LayoutRates:
        """Rates at each of ``batch_sizes``, every process measuring at once."""
        order = json.dumps({"batch_sizes": list(batch_sizes), "seconds": seconds})
        # Warm-up and each cell, with room to spare for a slow machine.
        timeout = 60 + 3 * seconds * len(batch_sizes)
        with CpuWatch() as watch:
            for process, log in zip(self.processes, self.logs, strict=True):
                assert process.stdin is not None
                try:
                    process.stdin.write(order + "\n")
                    process.stdin.flush()
                except BrokenPipeError:  # the process has ended
                    raise self._failure(log) from None
            answers = [first_line_starting(p, "{", timeout) for p in self.processes]
        totals: dict[int, float] = dict.fromkeys(batch_sizes, 0.0)
        for answer, log in zip(answers, self.logs, strict=True):
            if answer is None:
                raise self._failure(log)
            for size, rate in json.loads(answer).items():
                totals[int(size)] += rate
        return LayoutRates(
            {size: round(rate, 1) for size, rate in totals.items()},
            None if watch.use is None else watch.use.stolen,
        )

    def close(self) -> None:
        for process in self.processes:
            if process.stdin is not None and not process.stdin.closed:
                with contextlib.suppress(BrokenPipeError):  # it has ended already
                    process.stdin.close()  # end of input: the process exits
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()

    def _start(self, number: int, log: Path) -> None:
        command = self.measurement.command(
            self.layout.threads, self.workdir / f"process-{number}"
        )
        self.processes.append(start_talking(command, log))

    def _failure(self, log: Path) -> MeasurementError:
        tail = log.read_text(errors="replace")[-2000:]
        return MeasurementError(
            f"measuring {self.measurement.variant} as {self.layout.label} "
            f"failed:\n{tail}"
        )


def layout_rates(
    measurement: Measurement, layout: Layout, workdir: Path
) -> LayoutRates:
    """Summed rates of ``layout.workers`` processes measuring at the same time."""
    with LayoutProbe(measurement, layout, workdir) as probe:
        return probe.measure(measurement.batch_sizes, measurement.seconds)


def measure_variant(
    measurement: Measurement,
    probes: Sequence[LayoutProbe],
    evaluation: list[Example],
    workdir: Path,
) -> VariantResult:
    """Quality on ``evaluation``, and each probe's layout's rate at each batch size."""
    options = RuntimeOptions(measurement.variant)
    runtime = load_predictor(measurement.checkpoint, options, workdir / "quality")
    quality_value = evaluation_quality(runtime, evaluation)
    result = VariantResult(measurement.variant, quality_value)
    for probe in probes:
        measured = fastest(
            [
                probe.measure(measurement.batch_sizes, measurement.seconds)
                for _ in range(measurement.repeats)
            ]
        )
        result.rates[probe.layout.label] = measured.rates
        result.stolen[probe.layout.label] = measured.stolen
    return result


def main(argv: list[str] | None = None) -> int:
    """One measuring process of a `LayoutProbe`: prints rates as JSON lines."""
    parser = argparse.ArgumentParser(prog="python -m serving.bench.in_process")
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--variant", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch-sizes", type=int, nargs="+", required=True)
    parser.add_argument("--examples", type=int, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    options = RuntimeOptions(args.variant, args.threads)
    runtime = load_predictor(args.checkpoint, options, args.workdir)
    examples = evaluation_examples(args.examples)
    bodies = itertools.cycle(request_bodies(runtime.spec, examples))
    for batch_size in args.batch_sizes:  # first-call allocations, before orders
        decode_and_predict(runtime, [next(bodies)] * batch_size)
    print(READY, flush=True)
    # One order per line, {"batch_sizes": [...], "seconds": ...}, until the end
    # of input: one JSON line of rates for each.
    for order in sys.stdin:
        wanted = json.loads(order)
        rates = {
            size: requests_per_second(runtime, bodies, size, wanted["seconds"])
            for size in wanted["batch_sizes"]
        }
        print(json.dumps(rates), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
