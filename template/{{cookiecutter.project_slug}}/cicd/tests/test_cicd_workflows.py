"""No fork's pull request reaches a self-hosted runner: the `if:` of every such
job is evaluated, as GitHub would (workflow_runs.py), for a pull request from a
fork. And a GPU run on main deploys its model only when it beats production's.
"""

import os
import re
import subprocess

import pytest
import yaml
from workflow_runs import WORKFLOWS, evaluate, event, workflow


def gpu_training() -> dict:
    return workflow("gpu-training.yml")


def self_hosted_jobs():
    for path in WORKFLOWS:
        flow = yaml.safe_load(path.read_text())
        for name, job in flow["jobs"].items():
            if "uses" in job:  # a called workflow: its own jobs are checked
                continue
            runs_on = job["runs-on"]
            labels = runs_on if isinstance(runs_on, list) else [runs_on]
            if "self-hosted" in labels:
                yield path.name, name, flow[True], job


def job_context(github: dict, job: dict) -> dict:
    # The worst case: every job this one needs succeeded.
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    # And the team's runner exists, and every setting is set.
    return {
        "github": github,
        "needs": {
            need: {"result": "success", "outputs": {"ready": "true"}} for need in needs
        },
        "inputs": {},
        "vars": {"CI_RUNNER_READY": "true"},
    }


def test_the_evaluator_reads_conditions_like_github():
    context = {"github": event("pull_request", head="fork/project")}
    same = "github.event.pull_request.head.repo.full_name == github.repository"
    assert evaluate(same, context) is False
    assert evaluate(f"!({same})", context) is True
    assert evaluate("contains(github.event.pull_request.labels.*.name, 'gpu')", context)
    assert evaluate("github.event_name == 'push' || always()", context) is True


@pytest.mark.parametrize("added", [None, "gpu"])
@pytest.mark.parametrize("labels", [("gpu",), ()])
def test_a_forks_pull_request_never_reaches_a_self_hosted_job(labels, added):
    checked = 0
    for file, name, triggers, job in self_hosted_jobs():
        if "pull_request" not in triggers:
            continue
        checked += 1
        assert "if" in job, f"{file}: self-hosted job {name} has no `if:`"
        fork = event("pull_request", "attacker/project", labels, added)
        assert not evaluate(job["if"], job_context(fork, job)), f"{file}: {name}"
    assert checked, "no self-hosted job found: the GPU training job is one"


def test_same_repository_pull_requests_labelled_gpu_do_train():
    jobs = gpu_training()["jobs"]
    labelled = event("pull_request")
    unlabelled = event("pull_request", labels=())
    for name in ("start", "train", "stop"):
        assert evaluate(jobs[name]["if"], job_context(labelled, jobs[name])), name
    assert not evaluate(jobs["start"]["if"], job_context(unlabelled, jobs["start"]))
    gpu_added = event("pull_request", labels=("gpu",), added="gpu")
    other_added = event("pull_request", labels=("gpu", "docs"), added="docs")
    assert evaluate(jobs["start"]["if"], job_context(gpu_added, jobs["start"]))
    # Adding another label to a GPU pull request must not lease another node.
    assert not evaluate(jobs["start"]["if"], job_context(other_added, jobs["start"]))
    assert evaluate(jobs["start"]["if"], job_context(event("push"), jobs["start"]))


def test_no_workflow_runs_fork_code_with_secrets():
    for path in WORKFLOWS:
        triggers = yaml.safe_load(path.read_text())[True]
        assert "pull_request_target" not in triggers, path.name
        assert "workflow_run" not in triggers, path.name


def test_the_gpu_job_runs_only_on_its_own_runs_runner():
    flow = gpu_training()
    runs_on = flow["jobs"]["train"]["runs-on"]
    assert runs_on[0] == "self-hosted"
    run = r"\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}"
    assert re.fullmatch(rf"proj\d+-gpu-runner-{run}", runs_on[1])
    commands = [
        step.get("run", "")
        for job in flow["jobs"].values()
        for step in job.get("steps", [])
    ]
    assert 'nox -s runner -- up --run-id "$RUN_ID" --hours "$HOURS"' in commands
    assert 'nox -s runner -- down --run-id "$RUN_ID"' in commands
    run_id = "{% raw %}${{ github.run_id }}-${{ github.run_attempt }}{% endraw %}"
    assert flow["env"]["RUN_ID"] == run_id


def compare_step(train: dict) -> dict:
    return next(step for step in train["steps"] if step.get("id") == "compare")


def test_a_gpu_run_on_main_deploys_only_a_model_better_than_productions():
    jobs = gpu_training()["jobs"]
    train, deploy = jobs["train"], jobs["deploy"]
    commands = [step.get("run", "") for step in train["steps"]]
    # Production's labelled inputs join the data before training, once the
    # object store is set; the comparison follows training.
    labelled = commands.index("nox -s data -- labelled --stored production")
    assert commands.index("nox -s data") < labelled < commands.index("nox -s train")
    store_step = train["steps"][labelled]
    assert not evaluate(store_step["if"], {"vars": {}})
    assert evaluate(store_step["if"], {"vars": {"AWS_ENDPOINT_URL": "https://s3"}})
    compare = compare_step(train)
    assert commands.index(compare["run"]) > commands.index("nox -s train")
    assert "steps.compare.outputs.better" in train["outputs"]["better"]
    for better, deployed in (("true", True), ("false", False), (None, False)):
        outputs = {} if better is None else {"better": better}
        needs = {"train": {"result": "success", "outputs": outputs}}
        context = {"github": event("push"), "needs": needs}
        assert evaluate(deploy["if"], context) is deployed, better
        assert evaluate(compare["if"], context)
    pull_request = {"github": event("pull_request"), "needs": needs}
    assert not evaluate(compare["if"], pull_request)


@pytest.mark.parametrize(
    "exit_code, verdict_written, better",
    [(0, True, "true"), (1, True, "false"), (1, False, None)],
)
def test_the_comparison_step_turns_the_verdict_into_the_jobs_output(
    tmp_path, exit_code, verdict_written, better
):
    """The step's shell as the runner runs it, with `nox` standing in for
    training/compare.py (tested in the training room): 0 better, 1 not better
    with a verdict written, 1 without one (the registry did not answer)."""
    stand_in = tmp_path / "bin" / "nox"
    stand_in.parent.mkdir()
    verdict = "mkdir -p artifacts/metrics && echo {} >artifacts/metrics/comparison.json"
    stand_in.write_text(
        f"#!/bin/sh\n{verdict if verdict_written else ':'}\nexit {exit_code}\n"
    )
    stand_in.chmod(0o755)
    compare = compare_step(gpu_training()["jobs"]["train"])
    output, summary = tmp_path / "output", tmp_path / "summary"
    ran = subprocess.run(
        ["bash", "-e", "-c", compare["run"]],
        cwd=tmp_path,
        env={
            **os.environ,
            "PATH": f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
        },
        capture_output=True,
        text=True,
    )
    if better is None:
        assert ran.returncode != 0 and not output.exists()
    else:
        assert ran.returncode == 0, ran.stderr
        assert output.read_text() == f"better={better}\n"
        assert f"**{better}**" in summary.read_text()
