"""Each step of the loop is a room's own program, run in that room's environment.

`Rooms.run` runs one and keeps its output in the loop's log folder (one file
per step, numbered in order); `Rooms.serve` keeps a stage's server up for the
length of a ``with`` block (`python -m serving.stage`).
"""

import contextlib
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from {{ cookiecutter.package_name }} import paths

from cicd import room_envs


class StepFailed(RuntimeError):
    """A room's program failed where the loop cannot go on; names its log."""


@dataclass
class Step:
    """What one program did: its exit code and output."""

    name: str
    code: int
    output: str
    log: Path


def answer_sample(url: str) -> None:
    """The contract's sample, sent to a served stage."""
    body = (paths.contracts_dir() / "input.sample.json").read_bytes()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url + "/predict", body, headers)
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()


class Rooms:
    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs = logs
        self.env = env
        self.count = 0
        logs.mkdir(parents=True, exist_ok=True)

    def log_path(self, name: str) -> Path:
        self.count += 1
        return self.logs / f"{self.count:02d}-{name}.log"

    def run(
        self, name: str, room: str, *args: str, ok: tuple[int, ...] = (0,), **env: str
    ) -> Step:
        """``python ARGS`` in ``room``'s environment; `StepFailed` unless its exit
        code is one of ``ok``."""
        python = room_envs.ensure(room) / "python"
        log = self.log_path(name)
        print(f"operate: {name}: python {' '.join(args)}", flush=True)
        done = subprocess.run(
            [str(python), *args],
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        log.write_text(done.stdout)
        if done.returncode not in ok:
            tail = "\n".join(done.stdout.splitlines()[-15:])
            raise StepFailed(f"{name} exited with {done.returncode} ({log}):\n{tail}")
        return Step(name, done.returncode, done.stdout, log)

    def start(self, name: str, room: str, *args: str) -> subprocess.Popen:
        """``python ARGS`` in ``room``'s environment, left running; the caller
        waits for it."""
        python = room_envs.ensure(room) / "python"
        log = self.log_path(name).open("w")
        print(f"operate: {name}: python {' '.join(args)} (running)", flush=True)
        command = [str(python), *args]
        return subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    @contextlib.contextmanager
    def serve(
        self, stage: str, checkpoint: Path, home: Path, warm_up: int = 0
    ) -> Iterator[str]:
        """Serve ``checkpoint`` as ``stage`` from the model store at ``home``,
        answer ``warm_up`` sample requests, then yield its URL."""
        python = room_envs.ensure("serving") / "python"
        log = self.log_path(f"serve-{stage}")
        command = [str(python), "-m", "serving.stage", "--stage", stage]
        command += ["--checkpoint", str(checkpoint), "--log", str(log)]
        print(f"operate: serving {stage} ({checkpoint.name})", flush=True)
        env = {**self.env, "BENTOML_HOME": str(home)}
        server = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            first = server.stdout.readline().split()
            if first[:1] != ["ready"]:
                raise StepFailed(f"the {stage} server did not start (see {log})")
            for _ in range(warm_up):
                answer_sample(first[1])
            yield first[1]
        finally:
            if server.stdin is not None:
                server.stdin.close()  # serving.stage stops its server on that
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
