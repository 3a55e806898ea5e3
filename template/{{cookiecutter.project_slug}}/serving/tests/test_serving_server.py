"""`serving.check.server.BentoServer`: every worker is up before use, none outlives it,
and each runs the HTTP stack `serving/requirements.txt` asks for."""

import os
import signal
from pathlib import Path

from serving.check.server import BentoServer


def test_both_workers_are_up_and_none_outlives_a_killed_server(served, tmp_path):
    server = BentoServer(
        "serving.service:Predictor",
        log_path=tmp_path / "server.log",
        env={**served.variables(), "SERVING_WORKERS": "2"},
        ready_timeout=180,
        workers=2,
    )
    with server:
        assert server.workers_ready() == 2
        workers = server.worker_processes
        assert len(workers) == 2
        assert server.process is not None
        # The server dies without stopping its workers: they are orphans now.
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        assert all(worker.running() for worker in workers)
    assert not any(worker.running() for worker in workers)


def test_the_workers_parse_http_in_c_on_libuvs_event_loop(server):
    # uvicorn chooses httptools and uvloop only if they import in the worker;
    # without them it falls back to pure-Python h11 and asyncio's own loop.
    assert server.worker_processes
    for worker in server.worker_processes:
        libraries = Path(f"/proc/{worker.pid}/maps").read_text()
        assert "/httptools/" in libraries, worker
        assert "/uvloop/" in libraries, worker
