"""The generated workflows under the non-default answers: every job on the team's
own runners (ci_runner=chameleon), a short lease, another project id."""

import subprocess
import sys

import pytest
import yaml
from conftest import render
from expected_files import FILES_BY_FOLDER
from tools import check_workflows

ANSWERS = {"ci_runner": "chameleon", "lease_hours": 2, "project_id": "proj42"}


@pytest.fixture(scope="module")
def chameleon(tmp_path_factory):
    return render(tmp_path_factory.mktemp("chameleon") / "project", **ANSWERS)


def workflows(project) -> dict[str, dict]:
    folder = project / ".github" / "workflows"
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in sorted(folder.glob("*.yml"))
    }


def runs_on(job) -> list[str]:
    return job["runs-on"] if isinstance(job["runs-on"], list) else [job["runs-on"]]


def test_workflows_pass_schema_and_zizmor(chameleon):
    workflows = check_workflows(chameleon)
    assert sorted(path.name for path in workflows) == sorted(
        FILES_BY_FOLDER[".github/workflows"]
    )


def test_chameleon_runs_every_job_on_the_teams_runners(chameleon):
    for name, flow in workflows(chameleon).items():
        for job_name, job in flow["jobs"].items():
            labels = runs_on(job)
            assert labels[0] == "self-hosted", (name, job_name)
            if (name, job_name) == ("gpu-training.yml", "train"):
                assert labels[1].startswith("proj42-gpu-runner-")
            else:
                assert "proj42-ci" in labels, (name, job_name)


@pytest.fixture(scope="module")
def github_hosted(tmp_path_factory):
    """A course that allows GitHub's machines (this course's default forbids them)."""
    project = tmp_path_factory.mktemp("github-hosted") / "project"
    return render(project, ci_runner="github-hosted")


def test_the_default_follows_the_course_rule_no_github_hosted_job(rendered):
    for name, flow in workflows(rendered["four-owned-cicd"]).items():
        for job_name, job in flow["jobs"].items():
            assert runs_on(job)[0] == "self-hosted", (name, job_name)


def test_github_hosted_keeps_only_the_gpu_job_self_hosted(github_hosted):
    for name, flow in workflows(github_hosted).items():
        for job_name, job in flow["jobs"].items():
            self_hosted = "self-hosted" in runs_on(job)
            assert self_hosted == ((name, job_name) == ("gpu-training.yml", "train"))


def test_lease_hours_bound_the_gpu_workflow(chameleon):
    flow = workflows(chameleon)["gpu-training.yml"]
    hours = flow[True]["workflow_dispatch"]["inputs"]["hours"]
    assert hours["options"] == ["2", "1"] and hours["default"] == "2"
    assert flow["jobs"]["train"]["timeout-minutes"] < 2 * 60


def test_generated_workflow_checks_pass_for_chameleon(chameleon):
    # The project's own checks, fork guard included, on this rendering too.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "cicd/tests/test_cicd_workflows.py",
            "cicd/tests/test_cicd_repository.py",
            "-p",
            "no:cacheprovider",
        ],
        cwd=chameleon,
        env={
            "PYTHONPATH": str(chameleon),
            "PATH": "/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "skipped" not in result.stdout
