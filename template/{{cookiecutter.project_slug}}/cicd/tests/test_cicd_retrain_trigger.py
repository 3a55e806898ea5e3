"""cicd.retrain_trigger against a real Prometheus and a stand-in GitHub.

Prometheus is Debian's (cicd/debian_tools.py), started here with rules that
fire at once; GitHub cannot be reached from tests, so fake_github.py speaks its
documented workflow-run and workflow_dispatch endpoints.
"""

import contextlib
import json
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fake_github import REPO, TOKEN, FakeGitHub

from {{ cookiecutter.package_name }} import local_servers

from cicd import debian_tools, retrain_trigger

CONFIG = """
global:
  evaluation_interval: 1s
rule_files: [rules.yml]
"""
RULES = """
groups:
  - name: model
    rules:
      - alert: ModelDrifted
        expr: vector(1)
        labels: {severity: warning, action: retrain, stage: production}
      - alert: ServiceSlow  # fires, but is no reason to retrain
        expr: vector(1)
        labels: {severity: warning}
      - alert: ModelUnsure  # a reason to retrain, still pending
        expr: vector(1)
        for: 1h
        labels: {severity: warning, action: retrain}
"""


def alerts_of(url: str) -> dict[str, str]:
    with urllib.request.urlopen(f"{url}/api/v1/alerts", timeout=5) as response:
        answer = json.load(response)
    return {a["labels"]["alertname"]: a["state"] for a in answer["data"]["alerts"]}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> Iterator[str]:
    """A real Prometheus whose ModelDrifted and ServiceSlow fire."""
    program = debian_tools.find_or_fetch("prometheus", log=lambda line: None)
    if program is None:
        pytest.skip("no prometheus: install it, or run where apt-get can fetch it")
    folder = tmp_path_factory.mktemp("prometheus")
    (folder / "prometheus.yml").write_text(CONFIG)
    (folder / "rules.yml").write_text(RULES)
    port = local_servers.free_port()
    command = [
        program,
        "--config.file=prometheus.yml",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    log = folder / "prometheus.log"
    with local_servers.started(command, port, log, cwd=folder) as url:
        # Listening comes before the first rule evaluation (and before ready).
        deadline = time.monotonic() + local_servers.STARTUP_SECONDS
        while True:
            with contextlib.suppress(OSError):
                if alerts_of(url).get("ModelDrifted") == "firing":
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"Prometheus did not fire: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url


@pytest.fixture
def github(monkeypatch):
    with FakeGitHub() as server:
        server.workflow_files.add(retrain_trigger.WORKFLOW)
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        yield server


def dispatches(github: FakeGitHub) -> list[dict]:
    return [r for r in github.requests if r["path"].endswith("/dispatches")]


def test_a_firing_retrain_alert_starts_the_gpu_run(prometheus, github, capsys):
    assert alerts_of(prometheus)["ModelUnsure"] == "pending"
    code = retrain_trigger.main(["--trigger", "alerts", "--prometheus", prometheus])
    said = capsys.readouterr().out
    assert code == 0
    path = f"/repos/{REPO}/actions/workflows/gpu-training.yml/dispatches"
    assert [(r["path"], r["body"]) for r in dispatches(github)] == [
        (path, {"ref": "main"})
    ]
    assert "alert ModelDrifted (stage=production)" in said
    assert "ServiceSlow" not in said and "ModelUnsure" not in said
    assert [run["status"] for run in github.workflow_runs] == ["queued"]


def test_the_schedule_starts_the_gpu_run_on_its_own(github, capsys):
    assert retrain_trigger.main(["--trigger", "schedule"]) == 0
    assert "schedule: the daily retrain" in capsys.readouterr().out
    assert len(dispatches(github)) == 1


def test_without_a_reason_nothing_is_started(github, capsys):
    assert retrain_trigger.main(["--trigger", "alerts"]) == 0
    assert "no reason to retrain" in capsys.readouterr().out
    assert github.requests == []


@pytest.mark.parametrize(("hours_ago", "started"), [(2, False), (13, True)])
def test_a_dispatched_run_within_the_cooldown_holds_the_next(
    github, capsys, hours_ago, started
):
    earlier = datetime.now(UTC) - timedelta(hours=hours_ago)
    run = github.add_run("gpu-training.yml", "workflow_dispatch", "completed", earlier)
    github.add_run("gpu-training.yml", "push", "in_progress")  # not a dispatch
    assert retrain_trigger.main(["--trigger", "schedule"]) == 0
    said = capsys.readouterr().out
    assert bool(dispatches(github)) is started
    assert (f"run {run['id']} (completed)" in said) is not started


def test_an_unreachable_prometheus_starts_nothing_and_fails(github, capsys):
    dead = f"http://127.0.0.1:{local_servers.free_port()}"
    code = retrain_trigger.main(["--trigger", "schedule", "--prometheus", dead])
    assert code == 1
    assert f"GET {dead}/api/v1/alerts" in capsys.readouterr().err
    assert dispatches(github) == []


def test_a_refused_dispatch_fails_without_printing_the_token(github, capsys):
    github.workflow_files.clear()  # the repository has no such workflow
    assert retrain_trigger.main(["--trigger", "schedule"]) == 1
    err = capsys.readouterr().err
    assert "404" in err and "dispatches" in err
    assert TOKEN not in err
