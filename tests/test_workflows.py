"""The generated workflows under the non-default answers: every job on the team's
own runners (ci_runner=chameleon), a short lease, another project id."""

import re
import subprocess
import sys

import pytest
import yaml
from conftest import MLFLOW_SCENARIO, render
from expected_files import FILES_BY_FOLDER
from tools import check_workflows, tool

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


def runner_jobs(flow: dict):
    """(name, job) of the jobs that ask for a runner; a job that calls another
    workflow of the repository runs on that workflow's runners."""
    return [(name, job) for name, job in flow["jobs"].items() if "uses" not in job]


def runs_on(job) -> list[str]:
    return job["runs-on"] if isinstance(job["runs-on"], list) else [job["runs-on"]]


def test_workflows_pass_schema_and_zizmor(chameleon):
    workflows = check_workflows(chameleon)
    assert sorted(path.name for path in workflows) == sorted(
        FILES_BY_FOLDER[".github/workflows"]
    )


def test_chameleon_runs_every_job_on_the_teams_runners(chameleon):
    for name, flow in workflows(chameleon).items():
        for job_name, job in runner_jobs(flow):
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
        for job_name, job in runner_jobs(flow):
            assert runs_on(job)[0] == "self-hosted", (name, job_name)


def test_github_hosted_keeps_only_the_gpu_job_self_hosted(github_hosted):
    for name, flow in workflows(github_hosted).items():
        for job_name, job in runner_jobs(flow):
            self_hosted = "self-hosted" in runs_on(job)
            assert self_hosted == ((name, job_name) == ("gpu-training.yml", "train"))


def test_lease_hours_bound_the_gpu_workflow(chameleon):
    flow = workflows(chameleon)["gpu-training.yml"]
    hours = flow[True]["workflow_dispatch"]["inputs"]["hours"]
    assert hours["options"] == ["2", "1"] and hours["default"] == "2"
    assert flow["jobs"]["train"]["timeout-minutes"] < 2 * 60


@pytest.mark.parametrize("runner", ["chameleon", "github_hosted"])
def test_generated_workflow_checks_pass(runner, request):
    """The project's own checks on both kinds of runner: the fork guard, and
    every workflow's runs with nothing, only the runner, or everything set."""
    project = request.getfixturevalue(runner)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "cicd/tests/test_cicd_workflows.py",
            "cicd/tests/test_cicd_settings_check.py",
            "cicd/tests/test_cicd_repository.py",
            "-p",
            "no:cacheprovider",
        ],
        cwd=project,
        env={
            "PYTHONPATH": str(project),
            "PATH": "/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "skipped" not in result.stdout


def upper_bounds(project) -> dict[str, str]:
    """Each requirement's excluded release (`name<VERSION`), in every room's files."""
    bounds = {}
    for path in project.rglob("requirements*.txt"):
        for line in path.read_text().splitlines():
            found = re.match(r"\s*([A-Za-z0-9_.-]+)[^#]*<([0-9][0-9.]*)", line)
            if found:
                bounds[found.group(1).lower()] = found.group(2)
    return bounds


@pytest.mark.parametrize("scenario", ["four-owned-cicd", MLFLOW_SCENARIO])
def test_dependabot_covers_every_room_and_the_actions(rendered, scenario):
    project = rendered[scenario]
    config = project / ".github" / "dependabot.yml"
    schema = [tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot"]
    checked = subprocess.run([*schema, str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    updates = {
        u["package-ecosystem"]: u for u in yaml.safe_load(config.read_text())["updates"]
    }
    assert updates["github-actions"]["directory"] == "/"
    folders = {
        "/" + path.parent.relative_to(project).as_posix()
        for path in project.rglob("requirements*.txt")
    }
    assert folders == set(updates["pip"]["directories"])
    # A release the requirements bound out (it does not install here) is never
    # proposed; the one after it is.
    ignored = {
        rule["dependency-name"]: rule["versions"] for rule in updates["pip"]["ignore"]
    }
    bounds = upper_bounds(project)
    assert bounds, "no bounded requirement to check"
    assert {name: [release(version)] for name, version in bounds.items()} == {
        name: [release(version) for version in versions]
        for name, versions in ignored.items()
    }


def release(version: str) -> str:
    """3.18.0 and 3.18 are one release."""
    parts = version.split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def test_the_gpu_run_benchmarks_training_with_zeus_and_keeps_the_report(chameleon):
    train = workflows(chameleon)["gpu-training.yml"]["jobs"]["train"]
    runs = [step.get("run", "") for step in train["steps"]]
    bench = runs.index("nox -s bench-train")
    assert bench > runs.index("nox -s train")
    # Every step of the job on the GPU node: CUDA PyTorch, and torchvision for the
    # course's model in an image project.
    assert train["env"] == {"TORCH_SPEC": "torch torchvision", "ROOM_ENVS_GPU": "1"}
    uploads = [
        s for s in train["steps"][bench:] if "upload-artifact" in s.get("uses", "")
    ]
    assert "reports/training-bench.md" in uploads[0]["with"]["path"]
    zeus = (chameleon / "training" / "requirements-gpu.txt").read_text()
    assert "zeus" in zeus  # installed where ROOM_ENVS_GPU=1, on the GPU node only
