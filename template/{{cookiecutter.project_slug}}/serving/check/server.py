"""A real `bentoml serve` process on loopback, for the smoke check and the tests.

`BentoServer` starts the server in its own process group, waits until every
worker has loaded its model (/readyz answers as soon as one has: traffic sent
then would all go to that worker, and stay on its connections) and always stops
the whole group (SIGTERM, then SIGKILL after a timeout), so no
worker is left behind even when a check fails.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from {{ cookiecutter.package_name }} import paths

HOST = "127.0.0.1"
STOP_TIMEOUT_S = 15.0
# BentoML logs this line once per worker process, when its service instance is up.
WORKER_READY = re.compile(r"\] Service \S+ initialized$", re.MULTILINE)


class ServerError(RuntimeError):
    """The server did not come up; the message ends with its log tail."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)  # names lowercased

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    body: bytes | None = None,
    *,
    content_type: str = "application/json",
    timeout: float = 60.0,
) -> Reply:
    """GET ``url``, or POST ``body``; any HTTP status is a `Reply`, not an error."""
    headers = {"Content-Type": content_type} if body is not None else {}
    req = urllib.request.Request(url, data=body, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            data = response.read()
            status = response.status
            headers = response.headers
    except urllib.error.HTTPError as error:
        data = error.read()
        status = error.code
        headers = error.headers
    seconds = time.perf_counter() - started
    named = {name.lower(): value for name, value in headers.items()}
    return Reply(status, data, seconds, named)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def bentoml_executable() -> str:
    """The bentoml next to this Python, so the server runs in the same environment."""
    beside = Path(sys.executable).with_name("bentoml")
    if beside.exists():
        return str(beside)
    found = shutil.which("bentoml")
    if found is None:
        raise ServerError(
            "bentoml is not installed: pip install -r serving/requirements.txt"
        )
    return found


class BentoServer:
    """``with BentoServer("serving.service:Predictor", log_path=...) as server:``"""

    def __init__(
        self,
        service: str,
        *,
        log_path: Path,
        port: int = 0,
        env: dict[str, str] | None = None,
        ready_timeout: float = 120.0,
        workers: int = 1,
    ) -> None:
        self.service = service
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        self.env = env
        self.ready_timeout = ready_timeout
        # Worker processes of all the services it runs, each to be up before use.
        self.workers = workers
        self.worker_processes: list[ChildProcess] = []
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        env = {**os.environ, **(self.env or {})}
        root = str(paths.REPO_ROOT)
        env["PYTHONPATH"] = os.pathsep.join(
            [root, *filter(None, [env.get("PYTHONPATH")])]
        )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [bentoml_executable(), "serve", self.service]
        command += ["--host", HOST, "--port", str(self.port)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: stop() signals the workers too.
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        """Poll /readyz until 200 and every worker is up; fail if the server dies."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"bentoml serve exited with code {self.process.returncode}\n"
                    + self.log_tail()
                )
            try:
                ready = request(self.url + "/readyz", timeout=2).status == 200
            except OSError:
                ready = False  # not listening yet
            if ready and self.workers_ready() >= self.workers:
                self.worker_processes = children(self.process.pid)
                return
            time.sleep(0.25)
        raise ServerError(
            f"bentoml serve was not ready within {self.ready_timeout:.0f} s "
            f"({self.workers_ready()} of {self.workers} workers up)\n" + self.log_tail()
        )

    def workers_ready(self) -> int:
        """How many worker processes have logged that their service is up."""
        try:
            return len(WORKER_READY.findall(self.log_path.read_text(errors="replace")))
        except OSError:
            return 0

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        # BentoML starts each worker in a session of its own, outside the
        # server's group; a server that died has left them orphans.
        workers = {*self.worker_processes, *children(process.pid)}
        self._signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._signal_group(process, signal.SIGKILL)
            process.wait()
        self._signal_group(process, signal.SIGKILL)
        for worker in workers:  # normally already stopped by the server
            worker.kill()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while any(worker.running() for worker in workers):
            if time.monotonic() > deadline:
                raise ServerError("bentoml workers did not stop: " + str(workers))
            time.sleep(0.05)

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        # Process groups: POSIX (Linux, macOS), where the service runs.
        with contextlib.suppress(ProcessLookupError, PermissionError):  # gone
            os.killpg(process.pid, sig)


@dataclass(frozen=True)
class ChildProcess:
    """A process by pid and start time, so a reused pid is never signalled."""

    pid: int
    started: str

    def running(self) -> bool:
        """Still this process, and not a zombie left for its new parent to reap."""
        fields = _stat_fields(self.pid)
        # Fields 3 and 22 of proc(5): state and starttime.
        return bool(fields) and fields[19] == self.started and fields[0] != "Z"

    def kill(self) -> None:
        if self.running():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()  # the fields after the command name


def children(parent: int) -> list[ChildProcess]:
    """The live children of ``parent``, from /proc (none where there is no /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat_fields(int(entry.name))
        if fields and int(fields[1]) == parent:  # field 4 of proc(5): ppid
            found.append(ChildProcess(int(entry.name), fields[19]))
    return found
