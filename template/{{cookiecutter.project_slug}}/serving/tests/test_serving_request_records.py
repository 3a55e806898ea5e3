"""BentoML's access log and tracing are off unless asked for (request_records)."""

import time
from pathlib import Path

import pytest

from serving.check.server import BentoServer, request
from serving.request_records import (
    EVERY_URL,
    RequestRecordSwitches,
    request_records_from_env,
)
from serving.runtimes import RuntimeOptionError

ACCESS_LINE_MARK = "path=/predict"


def access_lines(log_path: Path, wait_seconds: float) -> list[str]:
    """The server log's /predict access lines, waiting up to ``wait_seconds``.

    BentoML writes the line just after sending the answer, so it may land a
    moment after the client has it.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        text = log_path.read_text(errors="replace")
        lines = [line for line in text.splitlines() if ACCESS_LINE_MARK in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_access_log_and_tracing_are_off_unless_asked_for():
    assert request_records_from_env({}) == {
        "logging": {"access": {"enabled": False}},
        "tracing": {"excluded_urls": EVERY_URL},
    }


@pytest.mark.parametrize("on", ["on", "ON", "1", "true", "yes"])
def test_each_record_turns_on_by_its_own_variable(on):
    access_only = request_records_from_env({"SERVING_ACCESS_LOG": on})
    assert access_only["logging"] == {"access": {"enabled": True}}
    assert access_only["tracing"] == {"excluded_urls": EVERY_URL}
    # Tracing on: BentoML's own tracing configuration applies, nothing excluded.
    tracing_only = request_records_from_env({"SERVING_TRACING": on})
    assert tracing_only == {"logging": {"access": {"enabled": False}}}


@pytest.mark.parametrize("off", ["off", "0", "False", "no", "  "])
def test_off_and_blank_keep_them_off(off):
    assert request_records_from_env(
        {"SERVING_ACCESS_LOG": off, "SERVING_TRACING": off}
    ) == request_records_from_env({})


def test_reports_describe_the_switches_the_services_read():
    switches = RequestRecordSwitches.from_env({"SERVING_TRACING": "yes"})
    assert switches == RequestRecordSwitches(access_log=False, tracing=True)
    assert switches.describe() == "access log off, tracing on"


@pytest.mark.parametrize("name", ["SERVING_ACCESS_LOG", "SERVING_TRACING"])
def test_a_value_that_is_not_on_or_off_names_the_variable(name):
    with pytest.raises(RuntimeOptionError, match=f"{name}='maybe' must be on or off"):
        request_records_from_env({name: "maybe"})


def test_by_default_a_prediction_writes_no_access_line(server, synthetic):
    assert request(server.url + "/predict", synthetic.body()).status == 200
    # The servers below log their line well within this wait.
    assert access_lines(server.log_path, wait_seconds=2) == []


@pytest.mark.parametrize("tracing", ["on", "off"])
def test_with_the_access_log_on_each_prediction_writes_a_line(
    served, synthetic, tmp_path, tracing
):
    variables = {"SERVING_ACCESS_LOG": "on", "SERVING_TRACING": tracing}
    with BentoServer(
        "serving.service:Predictor",
        log_path=tmp_path / "server.log",
        env={**served.variables(), **variables},
        ready_timeout=180,
    ) as server:
        assert request(server.url + "/predict", synthetic.body()).status == 200
        lines = access_lines(server.log_path, wait_seconds=30)
    assert len(lines) == 1, lines
    assert "status=200" in lines[0]
    # A traced request's line carries its trace id; an untraced one has none.
    assert ("trace=" in lines[0]) == (tracing == "on"), lines[0]
