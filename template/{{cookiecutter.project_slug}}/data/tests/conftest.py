"""Every data test writes under its own temporary ARTIFACTS_DIR.

The tests hold for every task kind: they use only the problem interface, so
they check what the data room does with examples, not a kind's file format
(the shared package's tests check those).
"""

import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import local_servers, problem
from {{ cookiecutter.package_name }}.problem import Example, Source, Spec


def write_lines(path: Path, records: list[dict]) -> Path:
    """``records`` as a JSON-lines log at ``path`` (its folder made); the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


@pytest.fixture
def artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "artifacts"
    monkeypatch.setenv("ARTIFACTS_DIR", str(folder))
    return folder


# A real S3 server on loopback (`rclone serve s3`, from the room's requirements).
ACCESS_KEY, SECRET_KEY = "test-access", "test-secret-key"


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The server's address and the folder it keeps buckets in."""
    root = tmp_path_factory.mktemp("s3")
    with local_servers.s3(root, (ACCESS_KEY, SECRET_KEY)) as address:
        yield address, root


@pytest.fixture
def bucket(s3_server, artifacts, monkeypatch) -> Path:
    """A fresh bucket for the test, named by DATA_BUCKET; its folder on disk."""
    address, root = s3_server
    name = f"test-{uuid.uuid4().hex[:12]}"
    settings = local_servers.s3_settings(address, (ACCESS_KEY, SECRET_KEY), name)
    for variable, value in settings.items():
        monkeypatch.setenv(variable, value)
    return root / name


def fingerprints(spec: Spec, examples: list[Example]) -> Counter[str]:
    """Each example as the request that sends it plus its target, counted.

    Compares examples whatever their stored form (a file, bytes, a text, a
    row): `problem.request_payload` turns each into the same request.
    """
    return Counter(
        json.dumps(
            [problem.request_payload(spec, example.input), str(example.target)],
            sort_keys=True,
        )
        for example in examples
    )


@pytest.fixture
def fingerprint() -> Callable[[Spec, list[Example]], Counter[str]]:
    return fingerprints


def relabel(source: Source) -> Source:
    """``source`` under another spec: new label names, or another target name."""
    spec = source.spec
    if not spec.classification:
        new_spec = replace(spec, target=spec.target + "_renamed")
        return Source(new_spec, source.examples, source.rejected)
    names = {label: f"{label} renamed" for label in spec.labels}
    examples = [replace(e, target=names[str(e.target)]) for e in source.examples]
    new_spec = replace(spec, labels=tuple(names[label] for label in spec.labels))
    return Source(new_spec, examples, source.rejected)


@pytest.fixture
def relabelled() -> Callable[[Source], Source]:
    return relabel


@pytest.fixture
def read_source_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Source], Path]:
    """Make `problem.read_source` return a given source; the PATH to ingest.

    The room's handling of what a source holds (splits, rejected input) is the
    same for every format, so the source is made, not read. PATH is an empty
    folder; reading any other path fails the test.
    """
    folder = tmp_path / "source"
    folder.mkdir()

    def install(source: Source) -> Path:
        def read_source(path: Path, target: str = "target") -> Source:
            assert path == folder.resolve(), f"asked to read {path}"
            return source

        monkeypatch.setattr(problem, "read_source", read_source)
        return folder

    return install


class LocalServer(ThreadingHTTPServer):
    """A stand-in HTTP server on a free local port."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class JsonHandler(BaseHTTPRequestHandler):
    """Reads JSON requests and answers JSON, over keep-alive as a real server."""

    protocol_version = "HTTP/1.1"

    def read_json(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def send_json(self, status: int, answer: dict, **headers: str) -> None:
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(*servers: LocalServer) -> Iterator[None]:
    """The servers answer while the block runs."""
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


class ServiceStandIn(LocalServer):
    """Answers POST /predict with an X-Prediction-Id, as the service does, and
    POST /feedback with 200, or 400 for the label 'refuse me'; keeps both."""

    def __init__(self) -> None:
        super().__init__(StandInHandler)
        self.answered: dict[str, dict] = {}  # id -> request body
        self.feedback: list[dict] = []


class StandInHandler(JsonHandler):
    server: ServiceStandIn

    def do_POST(self) -> None:
        body = self.read_json()
        prediction_id = uuid.uuid4().hex
        status = 400 if body.get("label") == "refuse me" else 200
        with self.server.lock:
            if self.path == "/predict":
                self.server.answered[prediction_id] = body
            elif status == 200:
                self.server.feedback.append(body)
        self.send_json(status, {"prediction": "x"}, X_Prediction_Id=prediction_id)


@pytest.fixture
def stages() -> Iterator[tuple[ServiceStandIn, ServiceStandIn]]:
    """Two stand-ins, running: production's and a canary's."""
    running = (ServiceStandIn(), ServiceStandIn())
    with serving(*running):
        yield running
