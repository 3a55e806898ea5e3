"""The Chameleon runner's node side and deploy scripts, checked by real tools.

cloud-init validates the user-data a real `up` would send (secrets included, so
that every file the node gets is checked); shellcheck checks every shell script
the node and the deploy run. The Python side (plan, GitHub API over HTTP, gc)
is tested by the generated project's own cicd tests.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_nox
from tools import cloud_init_schema, tool

SCENARIO = "four-owned-cicd"
# The renderings are shared with test_rendering's exact-file-set check.
NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}
# What `up` passes to cloud_config once GitHub and Chameleon have answered.
USER_DATA_OF_UP = """
import sys
from cicd.runner.credentials import Secret
from cicd.runner.github import RunnerRelease
from cicd.runner.userdata import NodeSettings, ReleaseTarget, cloud_config

node = NodeSettings("proj01-gpu-runner-1-1", 20, 1800000000, RunnerRelease("2.330.0", "ab" * 32))
target = ReleaseTarget(
    "https://chi.uc.chameleoncloud.org:5000/v3",
    "https://chi.uc.chameleoncloud.org:7000/v1",
    "0b5e6a70-lease",
    Secret("release-credential-id"),
    Secret("release-credential-secret"),
)
sys.stdout.write(cloud_config(node, Secret("encoded-jit-config"), target))
"""


def shell_scripts(project: Path) -> list[Path]:
    return sorted((project / "cicd" / "runner" / "node").glob("*.sh")) + [
        project / "cicd" / "deploy" / "rollout.sh"
    ]


@pytest.fixture(scope="module")
def user_data(rendered, tmp_path_factory) -> Path:
    project = rendered[SCENARIO]
    made = subprocess.run(
        [sys.executable, "-c", USER_DATA_OF_UP],
        cwd=project, env={"PYTHONPATH": str(project), **NO_BYTECODE}, capture_output=True, text=True,
    )
    assert made.returncode == 0, made.stderr
    path = tmp_path_factory.mktemp("user-data") / "user-data.yaml"
    path.write_text(made.stdout)
    return path


def test_user_data_is_valid_cloud_config(user_data):
    result = cloud_init_schema(user_data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


def test_cloud_init_schema_does_reject_a_broken_user_data(user_data, tmp_path):
    document = yaml.safe_load(user_data.read_text())
    document["write_files"][0]["permissions"] = 755  # must be a string
    document["runcmd"] = "systemctl start gpu-runner.service"  # must be a list
    broken = tmp_path / "broken.yaml"
    broken.write_text("#cloud-config\n" + yaml.safe_dump(document))
    result = cloud_init_schema(broken)
    assert result.returncode != 0
    assert "runcmd" in result.stdout + result.stderr


def test_user_data_ships_the_checked_scripts_and_keeps_secrets_private(rendered, user_data):
    project = rendered[SCENARIO]
    files = {entry["path"]: entry for entry in yaml.safe_load(user_data.read_text())["write_files"]}
    for script in sorted((project / "cicd" / "runner" / "node").glob("*.sh")):
        shipped = files[f"/opt/gpu-runner/{script.name}"]
        assert shipped["content"] == script.read_text()
        assert shipped["permissions"] == "0755"
    for secret_file in ("/etc/gpu-runner/jitconfig", "/etc/gpu-runner/release.env"):
        assert files[secret_file]["permissions"] == "0600", secret_file
    assert files["/etc/gpu-runner/jitconfig"]["content"] == "encoded-jit-config"


def test_shell_scripts_pass_shellcheck(rendered):
    scripts = shell_scripts(rendered[SCENARIO])
    result = subprocess.run([tool("shellcheck"), *map(str, scripts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_does_catch_a_mistake(tmp_path):
    script = tmp_path / "bad.sh"
    script.write_text("#!/usr/bin/env bash\nrm -rf $TARGET/*\n")
    result = subprocess.run([tool("shellcheck"), str(script)], capture_output=True, text=True)
    assert result.returncode != 0 and "SC2086" in result.stdout


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["nowhere", "ghcr.io/team/app:sha-1"], {"DEPLOY_HOST": "cc@10.0.0.1"}, "unknown stage 'nowhere'"),
        (["staging", "ghcr.io/team/app:1;reboot"], {"DEPLOY_HOST": "cc@10.0.0.1"}, "is not an image reference"),
        (["staging", "ghcr.io/team/app"], {"DEPLOY_HOST": "cc@10.0.0.1"}, "is not an image reference"),
        (["production", "ghcr.io/team/app:sha-1"], {}, "set DEPLOY_HOST"),
        (["staging"], {"DEPLOY_HOST": "cc@10.0.0.1"}, "usage:"),
    ],
)
def test_rollout_refuses_bad_arguments_before_touching_the_vm(rendered, args, env, message):
    project = rendered[SCENARIO]
    result = subprocess.run(
        ["bash", "cicd/deploy/rollout.sh", *args],
        cwd=project, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_compose_file_runs_one_stage_from_its_variables(rendered):
    compose = yaml.safe_load((rendered[SCENARIO] / "cicd" / "deploy" / "compose.yml").read_text())
    service = compose["services"]["classifier"]
    assert service["image"].startswith("${IMAGE:?")
    assert service["ports"] == ["${PORT:?set PORT to the stage's port}:3000"]
    assert "readyz" in " ".join(service["healthcheck"]["test"])
    assert compose["name"].endswith("-${STAGE:?set STAGE to staging, canary or production}")


def test_runner_session_plans_without_cloud_libraries(rendered, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    result = run_nox(rendered[SCENARIO], "-s", "runner", "--", "plan", "--run-id", "5-2")
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads(result.stdout[result.stdout.index("{") :])
    assert plan["label"] == "proj01-gpu-runner-5-2"
    assert plan["lease"]["name"] == plan["server"]["name"] == plan["label"]
