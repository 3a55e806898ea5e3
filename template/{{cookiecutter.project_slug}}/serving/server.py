"""A real `bentoml serve` process on loopback, for the smoke check and the tests.

`BentoServer` starts the server in its own process group, waits for /readyz and
always stops the whole group (SIGTERM, then SIGKILL after a timeout), so no
worker is left behind even when a check fails.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from {{ cookiecutter.package_name }} import paths

HOST = "127.0.0.1"
STOP_TIMEOUT_S = 15.0


class ServerError(RuntimeError):
    """The server did not come up; the message ends with its log tail."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    seconds: float

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
    except urllib.error.HTTPError as error:
        data = error.read()
        status = error.code
    return Reply(status, data, time.perf_counter() - started)


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
    """``with BentoServer("serving.service:Classifier", log_path=...) as server:``"""

    def __init__(
        self,
        service: str,
        *,
        log_path: Path,
        port: int = 0,
        env: dict[str, str] | None = None,
        ready_timeout: float = 120.0,
    ) -> None:
        self.service = service
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        self.env = env
        self.ready_timeout = ready_timeout
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
        """Poll /readyz until 200; fail early if the server process dies."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"bentoml serve exited with code {self.process.returncode}\n"
                    + self.log_tail()
                )
            try:
                if request(self.url + "/readyz", timeout=2).status == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.25)
        raise ServerError(
            f"bentoml serve was not ready within {self.ready_timeout:.0f} s\n"
            + self.log_tail()
        )

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
        self._signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._signal_group(process, signal.SIGKILL)
            process.wait()
        # Workers that outlived the arbiter are still in its group.
        self._signal_group(process, signal.SIGKILL)

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        # Process groups: POSIX (Linux, macOS), where the service runs.
        with contextlib.suppress(ProcessLookupError, PermissionError):  # gone
            os.killpg(process.pid, sig)
