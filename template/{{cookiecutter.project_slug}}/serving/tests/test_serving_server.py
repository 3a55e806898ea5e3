"""`serving.server.BentoServer`: every worker is up before use, none outlives it."""

import os
import signal

from serving.server import BentoServer


def test_both_workers_are_up_and_none_outlives_a_killed_server(served, tmp_path):
    server = BentoServer(
        "serving.service:Classifier",
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
