"""In-process measurements of each model variant: the limit a server can reach.

For every variant of `serving.runtimes`: how many requests per second the
machine turns into probabilities (JSON parsing, base64 and JPEG decoding,
preprocessing and the forward pass, exactly the service's work minus HTTP), at
several batch sizes, and the variant's accuracy on the evaluation split.

Rates are measured per `Layout`, the way a server shares the CPU: ``2x1`` is
two processes of one compute thread each, started together, their rates
summed, as two service workers would run. Each process is a fresh
``python -m serving.bench_model`` (this module's command line), so no process
inherits another's thread settings. While they measure, the machine's CPU time
is watched: the share the hypervisor gave to other guests is kept with the rates.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract import decode_image, predict_request
from {{ cookiecutter.package_name }}.hardware import CpuUse, CpuWatch
from {{ cookiecutter.package_name }}.model import load_checkpoint
from {{ cookiecutter.package_name }}.photos import labelled_photos
from {{ cookiecutter.package_name }}.preprocessing import open_image, to_array

from .runtimes import Predictor, RuntimeOptions, load_predictor

ACCURACY_BATCH = 64
# A measuring process prints this once loaded, then waits for a line to start.
READY = "ready"


@dataclass(frozen=True)
class ModelFacts:
    arch: str
    image_size: int
    parameters: int
    mmacs: float  # millions of multiply-accumulates per image


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
    accuracy: float | None
    # layout label -> batch size -> requests (images) per second, decode + forward
    rates: dict[str, dict[int, float]] = field(default_factory=dict)
    # layout label -> share of the CPU stolen while its rates were measured
    stolen: dict[str, float | None] = field(default_factory=dict)

    def limit(self, layout: str | None = None) -> float:
        """The best rate over the batch sizes of ``layout`` (default: any layout)."""
        chosen = [self.rates.get(layout, {})] if layout else self.rates.values()
        return max((rate for rates in chosen for rate in rates.values()), default=0.0)


def model_facts(checkpoint: Path) -> ModelFacts:
    """Size and compute of the served model, so figures can be compared."""
    from torch.utils.flop_counter import FlopCounterMode

    model, metadata = load_checkpoint(checkpoint)
    size = int(metadata["image_size"])
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(1, 3, size, size))
    return ModelFacts(
        arch=str(metadata["arch"]),
        image_size=size,
        parameters=sum(p.numel() for p in model.parameters()),
        mmacs=round(counter.get_total_flops() / 2 / 1e6, 2),
    )


def accuracy(predictor: Predictor, images: list[tuple[Path, int]]) -> float | None:
    if not images:
        return None
    correct = 0
    for start in range(0, len(images), ACCURACY_BATCH):
        chunk = images[start : start + ACCURACY_BATCH]
        batch = np.stack(
            [to_array(open_image(path), predictor.image_size) for path, _ in chunk]
        )
        predicted = predictor.probabilities(batch).argmax(axis=1)
        correct += sum(
            int(p) == label for p, (_, label) in zip(predicted, chunk, strict=True)
        )
    return correct / len(images)


def decode_and_predict(predictor: Predictor, bodies: Sequence[bytes]) -> np.ndarray:
    """The service's work for ``bodies``, as one batch."""
    batch = np.stack(
        [
            to_array(decode_image(json.loads(body)["image"]), predictor.image_size)
            for body in bodies
        ]
    )
    return predictor.probabilities(batch)


def images_per_second(
    predictor: Predictor, bodies: list[bytes], batch_size: int, seconds: float
) -> float:
    """Requests handled per second, in batches of ``batch_size``, for ``seconds``."""
    batches = [
        [bodies[(start + i) % len(bodies)] for i in range(batch_size)]
        for start in range(0, max(len(bodies), batch_size), batch_size)
    ]
    decode_and_predict(predictor, batches[0])  # warm-up: first-call allocations
    done, started = 0, time.perf_counter()
    while True:
        for batch in batches:
            decode_and_predict(predictor, batch)
            done += len(batch)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def request_bodies(images: int) -> list[bytes]:
    """The service's request bodies for the first ``images`` evaluation photos."""
    return [predict_request(path) for path, _ in labelled_photos("evaluation", images)]


@dataclass(frozen=True)
class Measurement:
    """What each measuring process is asked to do."""

    checkpoint: Path
    variant: str
    batch_sizes: Sequence[int]
    seconds: float
    images: int

    def command(self, threads: int, workdir: Path) -> list[str]:
        return [
            sys.executable,
            *("-m", "serving.bench_model", "--checkpoint", str(self.checkpoint)),
            *("--variant", self.variant, "--threads", str(threads)),
            *("--batch-sizes", *map(str, self.batch_sizes)),
            *("--seconds", str(self.seconds), "--images", str(self.images)),
            *("--workdir", str(workdir)),
        ]


@dataclass(frozen=True)
class LayoutRates:
    rates: dict[int, float]  # batch size -> img/s, summed over the processes
    cpu: CpuUse | None  # the machine's CPU while they measured (None: unknown)


def layout_rates(
    measurement: Measurement, layout: Layout, workdir: Path
) -> LayoutRates:
    """Summed rates of ``layout.workers`` processes measuring at the same time."""
    workdir.mkdir(parents=True, exist_ok=True)
    # Warnings go to a file: a full stderr pipe would stall a process unread.
    logs = [workdir / f"process-{number}.log" for number in range(layout.workers)]
    processes = []
    for number, log in enumerate(logs):
        with log.open("w") as errors:
            processes.append(
                subprocess.Popen(
                    measurement.command(layout.threads, workdir / f"process-{number}"),
                    cwd=paths.REPO_ROOT,
                    env={**os.environ, "PYTHONPATH": str(paths.REPO_ROOT)},
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    text=True,
                )
            )

    def failure(log: Path) -> MeasurementError:
        tail = log.read_text(errors="replace")[-2000:]
        return MeasurementError(
            f"measuring {measurement.variant} as {layout.label} failed:\n{tail}"
        )

    # Loading and warming up, then the cells themselves, with room to spare.
    timeout = 300 + 2 * measurement.seconds * len(measurement.batch_sizes)
    try:
        # Each process loads and warms up first; all start measuring together.
        for process, log in zip(processes, logs, strict=True):
            assert process.stdout is not None
            line = "start"
            while line and line.strip() != READY:  # a library may print first
                line = process.stdout.readline()
            if not line:  # the process ended before it was ready
                process.wait(timeout=timeout)
                raise failure(log)
        with CpuWatch() as watch:
            for process in processes:
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            outputs = [process.communicate(timeout=timeout)[0] for process in processes]
    except subprocess.TimeoutExpired:
        raise failure(logs[0]) from None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    totals: dict[int, float] = dict.fromkeys(measurement.batch_sizes, 0.0)
    for process, out, log in zip(processes, outputs, logs, strict=True):
        if process.returncode != 0:
            raise failure(log)
        for size, rate in json.loads(out.splitlines()[-1]).items():
            totals[int(size)] += rate
    return LayoutRates(
        {size: round(rate, 1) for size, rate in totals.items()}, watch.use
    )


def measure_variant(
    measurement: Measurement,
    layouts: Sequence[Layout],
    evaluation: list[tuple[Path, int]],
    workdir: Path,
) -> VariantResult:
    """Accuracy on ``evaluation``, and the rate of each layout at each batch size."""
    folder = workdir / measurement.variant
    options = RuntimeOptions(measurement.variant)
    predictor = load_predictor(measurement.checkpoint, options, folder / "accuracy")
    result = VariantResult(measurement.variant, accuracy(predictor, evaluation))
    for layout in layouts:
        measured = layout_rates(measurement, layout, folder / layout.label)
        result.rates[layout.label] = measured.rates
        result.stolen[layout.label] = (
            None if measured.cpu is None else measured.cpu.stolen
        )
    return result


def main(argv: list[str] | None = None) -> int:
    """One measuring process of `layout_rates`: prints its rates as JSON."""
    parser = argparse.ArgumentParser(prog="python -m serving.bench_model")
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--variant", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch-sizes", type=int, nargs="+", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--images", type=int, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    options = RuntimeOptions(args.variant, args.threads)
    predictor = load_predictor(args.checkpoint, options, args.workdir)
    bodies = request_bodies(args.images)
    for batch_size in args.batch_sizes:  # first-call allocations, before the start
        decode_and_predict(predictor, bodies[:1] * batch_size)
    print(READY, flush=True)
    sys.stdin.readline()
    rates = {
        size: images_per_second(predictor, bodies, size, args.seconds)
        for size in args.batch_sizes
    }
    print(json.dumps(rates), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
