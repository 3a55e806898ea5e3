"""cicd.retrain_trigger against a real Prometheus and a stand-in GitHub.

Prometheus is Debian's (cicd/debian_tools.py), started here with rules that
fire at once; GitHub cannot be reached from tests, so fake_github.py speaks its
documented workflow-run and workflow_dispatch endpoints.
"""

import contextlib
import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from fake_github import REPO, TOKEN, FakeGitHub

from {{ cookiecutter.package_name }} import local_servers

from cicd import debian_tools, retrain_trigger
from cicd.manifests import ROOT

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


def test_the_online_evaluations_quality_alert_starts_the_gpu_run(
    github, capsys, tmp_path
):
    reasons = tmp_path / "quality-alerts"
    alerts = ["--trigger", "alerts", "--reasons-file", str(reasons)]
    reasons.write_text("")  # evaluated: no alert
    assert retrain_trigger.main(alerts) == 0
    assert "no quality alert" in capsys.readouterr().out
    reasons.unlink()  # the evaluation failed: said, and no reason
    assert retrain_trigger.main(alerts) == 0
    assert f"no quality verdict: {reasons}" in capsys.readouterr().err
    assert github.requests == []
    alert = "quality alert: production's online accuracy 0.210 on 40 labelled"
    reasons.write_text(f"{alert}\n\n")
    assert retrain_trigger.main(alerts) == 0
    assert capsys.readouterr().out.strip().endswith(f"on main: {alert}")
    assert len(dispatches(github)) == 1


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


def the_steps_container() -> dict:
    """The container Argo Workflows runs for both retraining cron workflows."""
    documents = yaml.safe_load_all((ROOT / "pipelines" / "retrain.yaml").read_text())
    (template,) = (d for d in documents if d["kind"] == "WorkflowTemplate")
    (step,) = template["spec"]["templates"]
    return step["container"]


@pytest.mark.parametrize(
    ("failing", "evaluated"), [(None, True), ("python", True), ("pip", False)]
)
def test_the_step_runs_the_trigger_even_when_the_evaluation_fails(
    tmp_path, failing, evaluated
):
    """The step's own shell, run by sh with pip and python standing in: they
    record their words, and the one named ``failing`` fails, as a store that
    cannot be reached or a package index that cannot would."""
    container = the_steps_container()
    calls, stand_ins = tmp_path / "calls", tmp_path / "bin"
    stand_ins.mkdir()
    # The trigger itself never fails here: python fails for the evaluation.
    failure = {"pip": "exit 1", "python": 'case "$*" in *online_eval*) exit 1;; esac'}
    for name in ("pip", "python"):
        script = stand_ins / name
        script.write_text(
            f'#!/bin/sh\necho "{name} $*" >>"{calls}"\n'
            + (failure[name] if name == failing else "")
        )
        script.chmod(0o755)
    path = f"{stand_ins}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        [*container["command"], *container["args"]],
        env={**os.environ, "PATH": path},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    words = [line.split() for line in calls.read_text().splitlines()]
    assert words[0][:2] == ["pip", "install"]
    evaluations = [w for w in words if w[1:3] == ["-m", "monitoring.online_eval"]]
    *_, trigger = words
    assert trigger[:4] == ["python", "-m", "cicd.retrain_trigger", "--reasons-file"]
    assert trigger[5:] == [str(word) for word in container["args"]]
    assert len(evaluations) == evaluated
    if evaluated:
        (evaluation,) = evaluations
        # The trigger reads the alerts where the evaluation writes them.
        assert evaluation[evaluation.index("--alert-out") + 1] == trigger[4]
    said_failed = "no quality verdict" in done.stderr
    assert said_failed is (failing is not None)
