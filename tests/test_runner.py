"""The Chameleon runner's node side and deploy scripts, checked by real tools.

cloud-init validates the user-data a real `up` would send (secrets included, so
that every file the node gets is checked); shellcheck checks every shell script
the node and the deploy run. The Python side (plan, GitHub API over HTTP, gc)
is tested by the generated project's own cicd tests.
"""

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import MLFLOW_SCENARIO, run_nox
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
    return [
        *sorted((project / "cicd" / "runner" / "node").glob("*.sh")),
        *sorted((project / "cicd" / "infra" / "node").glob("*.sh")),
        *sorted((project / "cicd" / "deploy").glob("*.sh")),
    ]


@pytest.fixture(scope="module")
def user_data(rendered, tmp_path_factory) -> Path:
    project = rendered[SCENARIO]
    made = subprocess.run(
        [sys.executable, "-c", USER_DATA_OF_UP],
        cwd=project,
        env={"PYTHONPATH": str(project), **NO_BYTECODE},
        capture_output=True,
        text=True,
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


def test_user_data_ships_the_checked_scripts_and_keeps_secrets_private(
    rendered, user_data
):
    project = rendered[SCENARIO]
    files = {
        entry["path"]: entry
        for entry in yaml.safe_load(user_data.read_text())["write_files"]
    }
    for script in sorted((project / "cicd" / "runner" / "node").glob("*.sh")):
        shipped = files[f"/opt/gpu-runner/{script.name}"]
        assert shipped["content"] == script.read_text()
        assert shipped["permissions"] == "0755"
    for secret_file in ("/etc/gpu-runner/jitconfig", "/etc/gpu-runner/release.env"):
        assert files[secret_file]["permissions"] == "0600", secret_file
    assert files["/etc/gpu-runner/jitconfig"]["content"] == "encoded-jit-config"


def test_shell_scripts_pass_shellcheck(rendered):
    # And the cluster's MLflow pod's entry point, in the project that has one.
    tracker = rendered[MLFLOW_SCENARIO] / "cicd" / "k8s" / "base" / "tracker"
    scripts = [*shell_scripts(rendered[SCENARIO]), tracker / "start.sh"]
    result = subprocess.run(
        [tool("shellcheck"), *map(str, scripts)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_does_catch_a_mistake(tmp_path):
    script = tmp_path / "bad.sh"
    script.write_text("#!/usr/bin/env bash\nrm -rf $TARGET/*\n")
    result = subprocess.run(
        [tool("shellcheck"), str(script)], capture_output=True, text=True
    )
    assert result.returncode != 0 and "SC2086" in result.stdout


@pytest.mark.parametrize(
    "args", [[], ["publish"], ["publish", "nowhere"], ["checkout", "staging"]]
)
def test_the_release_branch_script_refuses_bad_arguments_before_git(rendered, args):
    result = subprocess.run(
        ["bash", "cicd/deploy/release_branch.sh", *args],
        cwd=rendered[SCENARIO],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_compose_file_runs_the_image_on_one_machine(rendered):
    compose = yaml.safe_load(
        (rendered[SCENARIO] / "cicd" / "deploy" / "compose.yml").read_text()
    )
    service = compose["services"]["classifier"]
    assert service["image"].startswith("${IMAGE:?")
    assert service["ports"] == ["${PORT:-3000}:3000"]
    assert "readyz" in " ".join(service["healthcheck"]["test"])
    # The serving layout the benchmark sized comes from the environment.
    assert service["environment"]["SERVING_WORKERS"] == "${SERVING_WORKERS:-1}"
    assert compose["name"].endswith("-${STAGE:-local}")


@pytest.mark.slow  # runs the generated `nox -s runner`
def test_runner_session_plans_without_cloud_libraries(rendered, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    result = run_nox(
        rendered[SCENARIO], "-s", "runner", "--", "plan", "--run-id", "5-2"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads(result.stdout[result.stdout.index("{") :])
    assert plan["label"] == "proj01-gpu-runner-5-2"
    assert plan["lease"]["name"] == plan["server"]["name"] == plan["label"]


# ---- up, status, down and gc through python-chi, against local API servers ----

RUN = "7-1"
SECRETS = {
    "OS_APPLICATION_CREDENTIAL_SECRET": "os-secret-never-printed",
    "OS_RELEASE_APPLICATION_CREDENTIAL_SECRET": "release-secret-never-printed",
}


@pytest.fixture
def clouds(rendered, monkeypatch):
    """Fake GitHub and OpenStack, and the variables that point the tool at them."""
    project = rendered[SCENARIO]
    monkeypatch.syspath_prepend(str(project / "cicd" / "tests"))
    from fake_github import TOKEN, FakeGitHub
    from openstack_api import FakeOpenStack

    with FakeGitHub("gourmetgram-team/gourmetgram") as github, FakeOpenStack() as cloud:
        for name, value in {
            "GITHUB_API_URL": github.url,
            "GITHUB_REPOSITORY": "gourmetgram-team/gourmetgram",
            "RUNNER_ADMIN_TOKEN": TOKEN,
            "OS_AUTH_URL": cloud.url + "/identity/v3",
            "OS_AUTH_TYPE": "v3applicationcredential",
            "OS_APPLICATION_CREDENTIAL_ID": "app-credential-id",
            "OS_APPLICATION_CREDENTIAL_SECRET": SECRETS[
                "OS_APPLICATION_CREDENTIAL_SECRET"
            ],
            "PYTHONDONTWRITEBYTECODE": "1",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("OS_RELEASE_APPLICATION_CREDENTIAL_ID", raising=False)
        monkeypatch.delenv("OS_RELEASE_APPLICATION_CREDENTIAL_SECRET", raising=False)
        yield project, github, cloud


def runner(project, *args) -> tuple[int, dict | None, str]:
    result = run_nox(project, "-s", "runner", "--", *args)
    output = result.stdout + result.stderr
    from fake_github import TOKEN

    for secret in (TOKEN, *SECRETS.values()):
        assert secret not in output, f"`runner {args[0]}` printed a secret"
    start = result.stdout.find("{")
    return (
        result.returncode,
        json.loads(result.stdout[start:]) if start >= 0 else None,
        output,
    )


@pytest.mark.slow  # runs the generated `nox -s runner`
def test_up_then_down_through_python_chi(clouds, monkeypatch):
    project, github, cloud = clouds
    monkeypatch.setenv("OS_RELEASE_APPLICATION_CREDENTIAL_ID", "release-id")
    monkeypatch.setenv(
        "OS_RELEASE_APPLICATION_CREDENTIAL_SECRET",
        SECRETS["OS_RELEASE_APPLICATION_CREDENTIAL_SECRET"],
    )
    code, made, output = runner(project, "up", "--run-id", RUN, "--hours", "1")
    assert code == 0, output
    label = "proj01-gpu-runner-7-1"
    assert made["label"] == label

    (lease,) = cloud.leases.values()
    assert lease["name"] == label and lease["start_date"] == "now"
    assert lease["end_date"] == made["lease_end"]
    (reservation,) = lease["reservations"]
    assert json.loads(reservation["resource_properties"]) == [
        "==",
        "$node_type",
        "gpu_rtx6000",
    ]
    (server,) = cloud.servers.values()
    request = server["request"]
    assert request["server"]["name"] == label
    assert (request["server"]["imageRef"], request["server"]["flavorRef"]) == (
        "img-1",
        "fl-1",
    )
    assert request["server"]["networks"] == [{"uuid": "net-1"}]
    assert request["os:scheduler_hints"] == {"reservation": reservation["id"]}
    user_data = base64.b64decode(request["server"]["user_data"]).decode()
    from fake_github import JIT_CONFIG

    assert user_data.startswith("#cloud-config") and JIT_CONFIG in user_data
    assert f"RUNNER_LABEL={label}" in user_data
    # The node can delete its own lease: Blazar's URL from the catalog, its id.
    assert f"BLAZAR_URL={cloud.url}/reservation/v1" in user_data
    assert f"LEASE_ID={lease['id']}" in user_data
    (jit_request,) = [r for r in github.requests if r["method"] == "POST"]
    assert label in jit_request["body"]["labels"]

    code, status, output = runner(project, "status")
    assert code == 0, output
    assert sorted(r["kind"] for r in status["resources"]) == [
        "lease",
        "runner",
        "server",
    ]

    code, _, output = runner(project, "down", "--run-id", RUN)
    assert code == 0, output
    assert not cloud.leases and not cloud.servers and not github.runners


@pytest.mark.slow  # runs the generated `nox -s runner`
def test_a_failed_up_leaves_nothing_behind(clouds):
    project, github, cloud = clouds
    cloud.refuse_servers = True
    code, _, output = runner(project, "up", "--run-id", RUN, "--hours", "1")
    assert code == 1 and "No valid host" in output
    assert not cloud.leases, "the lease of a failed up must be deleted"
    assert not github.runners, "the runner registration of a failed up must be deleted"


@pytest.mark.slow  # runs the generated `nox -s runner`
def test_gc_removes_only_this_projects_stale_resources(clouds):
    project, github, cloud = clouds
    old, recent = "2020-01-01 00:00:00", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    cloud.leases.update(
        {
            "l-old": {
                "id": "l-old",
                "name": "proj01-gpu-runner-1-1",
                "created_at": old,
            },
            "l-new": {
                "id": "l-new",
                "name": "proj01-gpu-runner-2-1",
                "created_at": recent,
            },
            "l-foreign": {
                "id": "l-foreign",
                "name": "proj99-gpu-runner-1-1",
                "created_at": old,
            },
        }
    )
    cloud.servers["s-new"] = {
        "id": "s-new",
        "name": "proj01-gpu-runner-2-1",
        "created": recent + "Z",
    }
    orphan = github.add_runner("proj01-gpu-runner-1-1")
    live = github.add_runner("proj01-gpu-runner-2-1")
    code, result, output = runner(project, "gc")
    assert code == 0, output
    assert sorted((r["kind"], r["name"]) for r in result["removed"]) == [
        ("lease", "proj01-gpu-runner-1-1"),
        ("runner", "proj01-gpu-runner-1-1"),
    ]
    assert set(cloud.leases) == {"l-new", "l-foreign"}
    assert set(github.runners) == {live} and orphan not in github.runners
