"""Green or clearly waiting, never red, until the repository is configured.

Each workflow's runs are simulated as GitHub would decide them (workflow_runs.py),
with its settings job running the real check: with nothing set, with only the
team's runner, and with every setting, for every event the workflow takes.
"""

import pytest
import yaml
from workflow_runs import ROOT, WORKFLOWS, event, settings_step, simulate

from cicd import settings_check
from cicd.settings_check import SETTINGS

SECRET_VALUE = "s3cr3t-value-that-must-never-be-printed"
# The events each trigger brings, as the simulation's `github` context.
EVENTS = {
    "push": ("push", "tag"),
    "pull_request": ("pull_request",),
    "schedule": ("schedule",),
    "workflow_dispatch": ("workflow_dispatch",),
    "workflow_call": ("workflow_call",),
}


def flows() -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in WORKFLOWS}


def events_of(flow: dict) -> list[dict]:
    kinds = [kind for trigger in flow[True] for kind in EVENTS.get(trigger, ())]
    tags_only = "tags" in (flow[True].get("push") or {})
    if tags_only:
        kinds = [kind for kind in kinds if kind != "push"]
    else:
        kinds = [kind for kind in kinds if kind != "tag"]
    return [event(kind) for kind in kinds]


def on_teams_runner(flow: dict) -> bool:
    """Its jobs ask for the team's CI runner (ci_runner=chameleon)."""
    job = next(iter(flow["jobs"].values()))
    return "self-hosted" in job["runs-on"]


def every_setting(workflow: str) -> tuple[dict, dict]:
    """vars and secrets, each setting under its own kind only."""
    chosen = {"variable": {"CI_RUNNER_READY": "true"}, "secret": {}}
    for setting in SETTINGS.get(workflow, ()):
        chosen[setting.kind][setting.name] = SECRET_VALUE
    return chosen["variable"], chosen["secret"]


def source_is_remote() -> bool:
    return settings_check.template_source_problem(ROOT / ".copier-answers.yml") is None


def test_every_workflow_is_covered_by_a_trigger_here():
    for name, flow in flows().items():
        assert events_of(flow), name


@pytest.mark.parametrize("workflow", sorted(flows()))
def test_nothing_set_means_green_or_skipped(workflow):
    flow = flows()[workflow]
    for github in events_of(flow):
        jobs = simulate(flow, github, vars={}, secrets={})
        ran = [name for name, job in jobs.items() if job["result"] == "success"]
        if on_teams_runner(flow):
            # No runner yet: nothing may wait in a queue for one.
            assert ran == [], (workflow, github["event_name"], ran)
        elif workflow in SETTINGS:
            waiting(workflow, jobs, github)


@pytest.mark.parametrize("workflow", sorted(SETTINGS))
def test_with_only_the_runner_the_check_runs_and_explains(workflow):
    flow = flows()[workflow]
    for github in events_of(flow):
        jobs = simulate(flow, github, vars={"CI_RUNNER_READY": "true"}, secrets={})
        waiting(workflow, jobs, github)


def waiting(workflow: str, jobs: dict, github: dict) -> None:
    """Only the check ran, and its summary names every missing setting; a
    template update, which needs none, runs once its source is a Git URL."""
    ran = [name for name, job in jobs.items() if job["result"] == "success"]
    if workflow == "template-update" and source_is_remote():
        assert ran == ["settings", "update"], ran
        return
    assert ran == ["settings"], (workflow, github["event_name"], ran)
    assert jobs["settings"]["outputs"] == {"ready": "false"}
    summary = jobs["settings"]["summary"]
    assert "is waiting to be configured" in summary
    for setting in SETTINGS[workflow]:
        assert f"`{setting.name}`" in summary and setting.where in summary
    if workflow == "template-update":
        assert "_src_path" in summary


@pytest.mark.parametrize("workflow", sorted(flows()))
def test_with_every_setting_the_work_runs(workflow):
    flow = flows()[workflow]
    vars, secrets = every_setting(workflow)
    expected = {
        "ci": {"push": {"lint", "tests", "pipeline"}},
        "deploy": {
            event: {"settings", "build", "staging", "canary", "production"}
            for event in ("workflow_call", "workflow_dispatch")
        },
        "gpu-training": {
            "push": {"settings", "start", "train", "deploy", "stop"},
            "schedule": {"settings", "gc"},
        },
        "template-update": {"schedule": {"settings", "update"}},
        "demo": {"push": {"demo"}},
        "rooms": {"pull_request": {"rooms"}},
    }[workflow]
    if workflow == "template-update" and not source_is_remote():
        # Generated from a folder: nothing to update from, whatever is set
        # (a Git URL's case is test_template_update_needs_a_template_it_can_fetch).
        expected = {"schedule": {"settings"}}
    # The GPU run's model beat production's (else nothing deploys).
    verdict = {"train": {"better": "true"}}
    for github in events_of(flow):
        jobs = simulate(flow, github, vars=vars, secrets=secrets, outputs=verdict)
        ran = {name for name, job in jobs.items() if job["result"] == "success"}
        if github["event_name"] in expected:
            assert ran == expected[github["event_name"]], (workflow, ran)
        for job in jobs.values():
            assert SECRET_VALUE not in job["summary"]


def test_each_settings_job_reads_each_setting_from_where_it_is_documented():
    for workflow, needed in SETTINGS.items():
        job = flows()[workflow]["jobs"]["settings"]
        step = settings_step(job)
        assert step["run"] == f"python3 -m cicd.settings_check {workflow}"
        context = {"variable": "vars", "secret": "secrets"}
        wanted = {
            s.name: "{% raw %}${{{% endraw %} " + f"{context[s.kind]}.{s.name}" + " }}" for s in needed
        }
        assert step.get("env", {}) == wanted, workflow
        environments = {s.environment for s in needed} or {""}
        assert environments == {job.get("environment", "")}, workflow


def test_the_summary_names_what_is_missing_and_never_a_value(tmp_path, monkeypatch):
    output, summary = tmp_path / "output", tmp_path / "summary"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for setting in SETTINGS["deploy"]:
        monkeypatch.delenv(setting.name, raising=False)
    monkeypatch.setenv("DEPLOY_URL", SECRET_VALUE)
    monkeypatch.setenv("KUBECONFIG_DATA", "   ")  # blank counts as not set
    assert settings_check.main(["deploy"]) == 0
    assert output.read_text() == "ready=false\n"
    text = summary.read_text()
    assert "DEPLOY_URL" not in text and SECRET_VALUE not in text
    assert "secret `KUBECONFIG_DATA`" in text
    assert "Settings > Secrets and variables > Actions > Secrets" in text
    assert "cicd/docs/deploy.md" in text

    for setting in SETTINGS["deploy"]:
        monkeypatch.setenv(setting.name, SECRET_VALUE)
    assert settings_check.main(["deploy"]) == 0
    assert output.read_text().splitlines()[-1] == "ready=true"
    assert SECRET_VALUE not in summary.read_text()


@pytest.mark.parametrize(
    ("source", "ready"),
    [
        ("gh:course-org/mlsys-team-template", True),
        ("https://github.com/course-org/mlsys-team-template.git", True),
        ("git@github.com:course-org/mlsys-team-template.git", True),
        ("/home/student/mlsys-team-template", False),
        ("../mlsys-team-template", False),
    ],
)
def test_template_update_needs_a_template_it_can_fetch(tmp_path, source, ready):
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text(f"_commit: v1.0.0\n_src_path: {source}\nproject_id: proj01\n")
    problem = settings_check.template_source_problem(answers)
    assert (problem is None) == ready, problem
    if not ready:
        assert "_src_path" in problem and "Git URL" in problem
    missing = settings_check.template_source_problem(tmp_path / "nowhere.yml")
    assert "missing" in missing
