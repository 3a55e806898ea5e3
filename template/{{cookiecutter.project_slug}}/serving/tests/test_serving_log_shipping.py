"""The prediction log's shipping, against a real S3 server on loopback
(`rclone serve s3`): what the service wrote arrives whole, once, and survives a
store that is down."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import local_servers
from {{ cookiecutter.package_name }}.object_store import ObjectStore, StoreError

from serving import log_shipping
from serving.feedback import FeedbackLog
from serving.prediction_log import InputLog, PredictionLog, new_prediction_id

CREDENTIALS = ("shipping-access", "shipping-secret-key")
BUCKET = "proj-data"


@pytest.fixture
def s3(tmp_path, monkeypatch) -> Iterator[Path]:
    """The store's folder; the AWS_* variables point at it while the test runs."""
    root = tmp_path / "store"
    (root / BUCKET).mkdir(parents=True)
    with local_servers.s3(root, CREDENTIALS) as address:
        settings = local_servers.s3_settings(address, CREDENTIALS, BUCKET)
        for variable, value in settings.items():
            monkeypatch.setenv(variable, value)
        yield root


def answers(log: PredictionLog, count: int, start: int = 0) -> list[dict]:
    written = []
    for number in range(start, start + count):
        answer = {"prediction": f"class-{number % 3}", "probability": 0.5}
        log.append(answer, {"level": float(number)}, new_prediction_id())
        written.append(answer)
    return written


def stored_lines(store: ObjectStore, prefix: str) -> list[dict]:
    lines = []
    for key in store.keys(prefix):
        lines += [json.loads(line) for line in store.read(key).decode().splitlines()]
    return lines


def test_what_the_service_logged_arrives_once_and_leaves_the_disk(s3, tmp_path):
    path = tmp_path / "production" / "predictions.jsonl"
    log, store = PredictionLog(path), ObjectStore.from_env()
    answers(log, 5)
    keys = log_shipping.ship_once(path, store, "production", settle=0)
    (key,) = keys
    assert key.startswith("predictions/production/20") and key.endswith(".jsonl")
    assert [line["features"]["level"] for line in stored_lines(store, "")] == [
        0.0,
        1.0,
        2.0,
        3.0,
        4.0,
    ]
    assert list(path.parent.iterdir()) == []  # shipped files are gone from disk
    assert log_shipping.ship_once(path, store, "production", settle=0) == []
    answers(log, 2, start=5)  # the service goes on writing into a new file
    assert len(log_shipping.ship_once(path, store, "production", settle=0)) == 1
    assert len(stored_lines(store, "predictions/production/")) == 7


def test_a_store_that_is_down_loses_nothing(s3, tmp_path, monkeypatch):
    path = tmp_path / "predictions.jsonl"
    log = PredictionLog(path)
    answers(log, 3)
    running = os.environ["AWS_ENDPOINT_URL"]
    nobody = f"http://127.0.0.1:{local_servers.free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", nobody)
    with pytest.raises(StoreError):
        log_shipping.ship_once(path, ObjectStore.from_env(), "canary", settle=0)
    (waiting,) = log_shipping.moved_aside(path)  # moved aside, kept on disk
    answers(log, 1, start=3)
    monkeypatch.setenv("AWS_ENDPOINT_URL", running)
    store = ObjectStore.from_env()
    assert len(log_shipping.ship_once(path, store, "canary", settle=0)) == 2
    assert len(stored_lines(store, "predictions/canary/")) == 4
    assert not waiting.exists()


def test_a_file_shipped_twice_is_stored_once(s3, tmp_path):
    """Stopped between the upload and the delete: the next round uploads the
    same file again, under the same key."""
    path = tmp_path / "predictions.jsonl"
    answers(PredictionLog(path), 4)
    moved = log_shipping.rotate(path, log_shipping.datetime(2027, 3, 1, 12))
    copy = moved.read_bytes()
    store = ObjectStore.from_env()
    (first,) = log_shipping.ship_once(path, store, "production", settle=0)
    moved.write_bytes(copy)  # as if the delete had never happened
    assert log_shipping.ship_once(path, store, "production", settle=0) == [first]
    assert first.startswith("predictions/production/2027-03-01/")
    assert len(stored_lines(store, "predictions/")) == 4


def test_the_command_needs_the_store_settings(monkeypatch, tmp_path, capsys):
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREDICTION_LOG", str(tmp_path / "predictions.jsonl"))
    assert log_shipping.main(["--once"]) == 2
    assert "AWS_ENDPOINT_URL" in capsys.readouterr().err


def test_the_command_ships_the_configured_logs(s3, monkeypatch, tmp_path, capsys):
    path = tmp_path / "predictions.jsonl"
    monkeypatch.setenv("PREDICTION_LOG", str(path))
    monkeypatch.setenv("FEEDBACK_LOG", str(tmp_path / "feedback.jsonl"))
    monkeypatch.setenv("INPUT_LOG", str(tmp_path / "inputs.jsonl"))
    answers(PredictionLog(path), 2)
    feedback = {"prediction_id": "0" * 32, "label": "class-1"}
    FeedbackLog(tmp_path / "feedback.jsonl").write(feedback)
    InputLog(tmp_path / "inputs.jsonl").append("0" * 32, {"field": "kept"})
    assert log_shipping.main(["--once", "--stage", "staging"]) == 0
    printed = capsys.readouterr().out
    for prefix in ("predictions", "feedback", "inputs"):
        assert f"shipped {prefix}/staging/" in printed
    store = ObjectStore.from_env()
    assert stored_lines(store, "feedback/staging/")[0]["label"] == "class-1"
    assert stored_lines(store, "inputs/staging/")[0]["input"] == {"field": "kept"}
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == []  # all shipped
