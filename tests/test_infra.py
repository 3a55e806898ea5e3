"""`nox -s infra` of a generated project, through python-chi, against a local
server speaking OpenStack's APIs (tests/openstack_api.py): Chameleon itself
cannot be reached from here. The cloud-init file every VM boots with is checked
by cloud-init's own schema.
"""

import base64
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import project_env, render, run_nox
from tools import cloud_init_schema

SECRET = "os-secret-never-printed"
SECOND_SITE_SECRET = "chi-uc-secret-never-printed"  # CHI@UC's own credential
PACKAGE = "gourmetgram"  # the default rendering's
# EC2-style credentials of the object store (the local S3 server's here), which
# `up` makes the buckets with and the MLflow server VM gets.
OBJECT_STORE = {
    "AWS_ACCESS_KEY_ID": "ec2-access-key",
    "AWS_SECRET_ACCESS_KEY": "ec2-secret-never-printed",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("infra") / "project")


@pytest.fixture(scope="module")
def tracker_project(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("infra-mlflow") / "project", tracker="mlflow")


@pytest.fixture
def github(project, monkeypatch):
    """GitHub's runner endpoints, and the variables that point `up` at them."""
    monkeypatch.syspath_prepend(str(project / "cicd" / "tests"))
    from fake_github import TOKEN, FakeGitHub

    with FakeGitHub("gourmetgram-team/gourmetgram") as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", "gourmetgram-team/gourmetgram")
        monkeypatch.setenv("RUNNER_ADMIN_TOKEN", TOKEN)
        yield fake


@pytest.fixture(scope="module")
def object_store(project, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A real S3 server on loopback (`rclone serve s3`, started by the generated
    project's own helper) for Chameleon's object store: its address and folder."""
    sys.path.insert(0, str(project))
    try:
        helper = importlib.import_module(f"{PACKAGE}.local_servers")
    finally:
        sys.path.remove(str(project))
    root = tmp_path_factory.mktemp("object-store")
    credentials = (
        OBJECT_STORE["AWS_ACCESS_KEY_ID"],
        OBJECT_STORE["AWS_SECRET_ACCESS_KEY"],
    )
    with helper.s3(root, credentials, fresh_listings=True) as address:
        yield address, root


@pytest.fixture
def cloud(project, github, object_store, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    from openstack_api import FakeOpenStack

    with FakeOpenStack(region="KVM@TACC") as fake:
        for name, value in {
            **OBJECT_STORE,
            "AWS_ENDPOINT_URL": object_store[0],
            "OS_AUTH_URL": fake.url + "/identity/v3",
            "OS_AUTH_TYPE": "v3applicationcredential",
            "OS_APPLICATION_CREDENTIAL_ID": "app-credential-id",
            "OS_APPLICATION_CREDENTIAL_SECRET": SECRET,
            "PYTHONDONTWRITEBYTECODE": "1",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def infra(project: Path, *args: str) -> tuple[int, dict | None, str]:
    from fake_github import REGISTRATION_TOKEN, TOKEN

    result = run_nox(project, "-s", "infra", "--", *args)
    output = result.stdout + result.stderr
    for secret in (
        SECRET,
        SECOND_SITE_SECRET,
        TOKEN,
        REGISTRATION_TOKEN,
        OBJECT_STORE["AWS_SECRET_ACCESS_KEY"],
    ):
        assert secret not in output, f"`infra {args[0]}` printed a secret"
    start = result.stdout.find("{")
    document = json.loads(result.stdout[start:]) if start >= 0 else None
    return result.returncode, document, output


RUNNER_USER_DATA = """
import sys
from cicd.infra.userdata import CiRunner, user_data
from cicd.runner.credentials import Secret
from cicd.runner.github import RunnerRelease

runner = CiRunner("proj01-ci-runner", "proj01-ci", "https://github.com/o/r",
                  RunnerRelease("2.330.0", "ab" * 32))
base = open("cicd/infra/cloud_init/base.yaml").read()
sys.stdout.write(user_data(base, runner, Secret("registration-token")))
"""


def test_every_vm_boots_with_valid_cloud_config(project, tmp_path):
    made = subprocess.run(
        [sys.executable, "-c", RUNNER_USER_DATA],
        cwd=project,
        env={"PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    runner = tmp_path / "ci-runner.yaml"
    runner.write_text(made.stdout)
    files = sorted((project / "cicd" / "infra" / "cloud_init").glob("*.yaml"))
    for path in [*files, runner]:
        result = cloud_init_schema(path)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # runs the generated `nox -s infra`
def test_up_makes_the_file_real_and_a_second_up_changes_nothing(
    project, cloud, github, object_store
):
    code, done, output = infra(project, "up")
    assert code == 0, output
    # The CI jobs' `if:` reads it: they run from now on, rather than being skipped.
    assert github.variables == {"CI_RUNNER_READY": "true"}
    _, store = object_store
    assert (store / "proj01-data").is_dir()  # the bucket, made through S3
    (lease,) = cloud.leases.values()
    assert lease["name"] == "proj01-infra"
    (reservation,) = lease["reservations"]
    assert reservation["resource_type"] == "flavor:instance"
    assert (reservation["flavor_id"], reservation["amount"]) == ("fl-2", 2)

    groups = {group["name"]: group for group in cloud.security_groups.values()}
    assert sorted(groups) == ["proj01-platform", "proj01-runner"]
    ports = sorted(
        r["port_range_min"] for r in groups["proj01-platform"]["security_group_rules"]
    )
    assert ports == [22, 80, 443, 3000, 6443, 8080, 9090]

    servers = {s["name"]: s["request"]["server"] for s in cloud.servers.values()}
    assert sorted(servers) == ["proj01-ci-runner", "proj01-platform"]
    platform = servers["proj01-platform"]
    # Booted inside the flavor reservation, on the shared network, with the file's
    # security group, cloud-init and the mark that makes it this tool's.
    assert platform["flavorRef"] == reservation["id"]
    assert platform["networks"] == [{"uuid": "net-1"}]
    assert platform["security_groups"] == [{"name": "proj01-platform"}]
    assert platform["metadata"] == {"managed-by": "proj01-infra"}
    user_data = base64.b64decode(platform["user_data"]).decode()
    base = (project / "cicd" / "infra" / "cloud_init" / "base.yaml").read_text()
    assert user_data == base

    # The CI runner VM: the same base, then registered with the project's CI label.
    runner = yaml.safe_load(
        base64.b64decode(servers["proj01-ci-runner"]["user_data"]).decode()
    )
    files = {entry["path"]: entry for entry in runner["write_files"]}
    from fake_github import REGISTRATION_TOKEN

    token = files["/etc/ci-runner/registration-token"]
    assert (token["content"], token["permissions"]) == (REGISTRATION_TOKEN, "0600")
    environment = files["/etc/ci-runner/runner.env"]["content"]
    assert "RUNNER_LABELS=proj01-ci\n" in environment
    assert "RUNNER_NAME=proj01-ci-runner\n" in environment
    assert (
        "REPOSITORY_URL=https://github.com/gourmetgram-team/gourmetgram\n"
        in environment
    )
    installer = project / "cicd" / "runner" / "node" / "install-runner.sh"
    assert files["/opt/ci-runner/install-runner.sh"]["content"] == installer.read_text()
    assert runner["runcmd"][-1] == ["/opt/ci-runner/register-runner.sh"]
    assert runner["packages"] == yaml.safe_load(base)["packages"]

    (address,) = cloud.floating_ips.values()
    platform_id = next(
        k for k, s in cloud.servers.items() if s["name"] == "proj01-platform"
    )
    assert address["port_id"] == f"port-{platform_id}"
    assert address["floating_network_id"] == "net-public"

    # The Ansible inventory `nox -s infra -- configure` hands to the playbook.
    code, groups, output = infra(project, "inventory")
    assert code == 0, output
    hosts = groups["infra"]["hosts"]
    assert hosts["proj01-platform"]["ansible_host"] == address["floating_ip_address"]
    assert hosts["proj01-ci-runner"]["ansible_host"].startswith("10.56.0.")
    jump = f"-o ProxyJump=cc@{address['floating_ip_address']}"
    assert hosts["proj01-ci-runner"]["ansible_ssh_common_args"] == jump
    assert list(groups["github_runners"]["hosts"]) == ["proj01-ci-runner"]
    # The playbook over that inventory, as `configure` runs it; --list-hosts
    # connects to no VM (none exists here), so only what each play targets is seen.
    listed = run_nox(project, "-s", "infra", "--", "configure", "--list-hosts")
    output = listed.stdout + listed.stderr
    assert listed.returncode == 0, output
    plays = output.split("play #")[1:]
    assert len(plays) == 3, output
    assert "proj01-platform" in plays[0] and "proj01-ci-runner" in plays[0]
    for platform_only in plays[1:3]:  # Docker; then k3s and Argo CD
        assert "proj01-platform" in platform_only, output
        assert "proj01-ci-runner" not in platform_only, output
    assert "k3s" in plays[2]

    code, planned, output = infra(project, "plan")
    assert code == 0, output
    assert planned["compared_with"] == "what exists at KVM@TACC"
    assert planned["steps"] == []
    before = len(cloud.requests)
    code, done, output = infra(project, "up")
    assert code == 0 and done["done"] == [], output
    assert not [
        r
        for r in cloud.requests[before:]
        if r[0] in ("POST", "PUT", "DELETE") and "auth/tokens" not in r[1]
    ]
    assert not [r for r in github.requests if r["method"] in ("PATCH", "DELETE")]


@pytest.mark.slow  # runs the generated `nox -s infra`
def test_an_up_that_failed_midway_finishes_when_run_again(project, cloud, github):
    cloud.refuse_servers = True
    code, _, output = infra(project, "up")
    assert code == 1 and "No valid host" in output
    assert len(cloud.leases) == 1 and len(cloud.security_groups) == 2
    assert not cloud.servers
    assert not github.variables  # no runner yet: the CI jobs stay skipped

    cloud.refuse_servers = False
    code, done, output = infra(project, "up")
    assert code == 0, output
    assert [(s["do"], s["kind"]) for s in done["done"]] == [
        ("create", "server"),
        ("create", "floating_ip"),
        ("create", "server"),
        ("create", "github_variable"),
    ]
    assert len(cloud.leases) == 1 and len(cloud.servers) == 2
    assert github.variables == {"CI_RUNNER_READY": "true"}


@pytest.mark.slow  # runs the generated `nox -s infra`
def test_down_removes_what_up_made_and_nothing_else(
    project, cloud, github, object_store
):
    cloud.servers["gpu"] = {
        "id": "gpu",
        "name": "proj01-gpu-runner-3-1",
        "created": "2027-01-01T00:00:00Z",
        "status": "ACTIVE",
        "links": [],
    }
    cloud.security_groups["other"] = {
        "id": "other",
        "name": "proj01-platform-by-hand",
        "description": "",
        "security_group_rules": [],
    }
    assert infra(project, "up")[0] == 0
    code, status, output = infra(project, "status")
    assert code == 0 and sorted(status["servers"]) == [
        "proj01-ci-runner",
        "proj01-platform",
    ], output
    # The data bucket holds a dataset: down keeps it, and says so.
    _, store = object_store
    dataset = store / "proj01-data" / "datasets" / "v1" / "manifest.json"
    dataset.parent.mkdir(parents=True)
    dataset.write_text("{}")
    code, done, output = infra(project, "down")
    assert code == 0, output
    assert {"do": "keep", "kind": "bucket", "name": "proj01-data", "details": {}} in (
        done["done"]
    )
    assert dataset.is_file()
    assert not cloud.leases and not cloud.floating_ips
    assert not github.variables  # the CI jobs are skipped again, not queued
    assert list(cloud.servers) == ["gpu"] and list(cloud.security_groups) == ["other"]
    # Emptied, it goes with the next down; a bucket made by hand is never touched.
    shutil.rmtree(store / "proj01-data" / "datasets")
    (store / "proj01-by-hand").mkdir()
    code, done, output = infra(project, "down")
    assert code == 0 and done["done"] == [
        {"do": "delete", "kind": "bucket", "name": "proj01-data", "details": {}}
    ], output
    assert not (store / "proj01-data").exists() and (store / "proj01-by-hand").is_dir()


@pytest.mark.slow  # runs the generated `nox -s infra`
def test_bare_metal_leases_live_at_their_own_site_and_ended_leases_are_renewed(
    project, cloud, github, monkeypatch
):
    from openstack_api import FakeOpenStack

    resources = project / "cicd" / "infra" / "resources.yml"
    shipped = resources.read_text()
    document = yaml.safe_load(shipped)
    document["bare_metal"] = {
        "gpu-serving": {"site": "CHI@UC", "node_type": "gpu_rtx_6000", "days": 2}
    }
    # CHI@UC is another Keystone, with its own credential: a second fake.
    with FakeOpenStack(region="CHI@UC") as chi_uc:
        chi_uc.leases["gpu-run"] = {  # a GPU run's lease: never the infra's
            "id": "gpu-run",
            "name": "proj01-gpu-runner-3-1",
            "status": "ACTIVE",
            "reservations": [],
        }
        try:
            resources.write_text(yaml.safe_dump(document, sort_keys=False))
            code, _, output = infra(project, "up")
            assert code != 0 and "CHI_UC_OS_AUTH_URL" in output, output
            assert cloud.requests == [] and chi_uc.requests == []
            code, planned, output = infra(project, "plan")
            assert code == 0, output
            assert planned["other_sites"]["CHI@UC"].startswith("nothing")
            assert {
                "do": "create",
                "kind": "bare_metal_lease",
                "name": "proj01-metal-gpu-serving",
                "details": {
                    "site": "CHI@UC",
                    "node_type": "gpu_rtx_6000",
                    "nodes": 1,
                    "days": 2,
                },
            } in planned["steps"]

            for name, value in {
                "CHI_UC_OS_AUTH_URL": chi_uc.url + "/identity/v3",
                "CHI_UC_OS_APPLICATION_CREDENTIAL_ID": "chi-uc-credential-id",
                "CHI_UC_OS_APPLICATION_CREDENTIAL_SECRET": SECOND_SITE_SECRET,
            }.items():
                monkeypatch.setenv(name, value)
            code, _, output = infra(project, "up")
            assert code == 0, output
            (metal,) = [
                lease for lease in chi_uc.leases.values() if "metal" in lease["name"]
            ]
            assert metal["name"] == "proj01-metal-gpu-serving"
            (reservation,) = metal["reservations"]
            assert reservation["resource_type"] == "physical:host"
            properties = json.loads(reservation["resource_properties"])
            assert properties == ["==", "$node_type", "gpu_rtx_6000"]
            assert (reservation["min"], reservation["max"]) == (1, 1)
            assert [lease["name"] for lease in cloud.leases.values()] == [
                "proj01-infra"
            ]
            # Each site was signed in to with its own credential.
            logins = [r[2] for r in chi_uc.requests if r[1].endswith("auth/tokens")]
            credential = logins[0]["auth"]["identity"]["application_credential"]
            assert credential["id"] == "chi-uc-credential-id"

            # Days later: the leases ended, the flavor reservation's end took the
            # platform VM, and the runner VM is left in ERROR.
            (address,) = cloud.floating_ips.values()
            before = address["floating_ip_address"]
            for lease in (*cloud.leases.values(), metal):
                lease["status"] = "TERMINATED"
            servers = {s["name"]: s for s in cloud.servers.values()}
            cloud.remove_server(servers["proj01-platform"]["id"])
            servers["proj01-ci-runner"]["status"] = "ERROR"
            code, done, output = infra(project, "up")
            assert code == 0, output
            assert [(s["do"], s["kind"]) for s in done["done"]] == [
                ("delete", "lease"),
                ("create", "lease"),
                ("delete", "bare_metal_lease"),
                ("create", "bare_metal_lease"),
                ("create", "server"),
                ("update", "floating_ip"),
                ("delete", "server"),
                ("create", "server"),
            ], output
            assert [lease["status"] for lease in cloud.leases.values()] == ["ACTIVE"]
            platform = next(
                k for k, s in cloud.servers.items() if s["name"] == "proj01-platform"
            )
            (address,) = cloud.floating_ips.values()  # the same address, moved
            assert address["floating_ip_address"] == before
            assert address["port_id"] == f"port-{platform}"
            assert {s["status"] for s in cloud.servers.values()} == {"ACTIVE"}
            code, done, output = infra(project, "up")
            assert code == 0 and done["done"] == [], output

            # The runner VM registered itself; a GPU run's runner is not ours.
            ours = github.add_runner("proj01-ci-runner", status="online")
            github.runners[ours]["labels"].append({"name": "proj01-ci"})
            gpu = github.add_runner("proj01-gpu-runner-3-1")
            code, done, output = infra(project, "down")
            assert code == 0, output
            # First CI_RUNNER_READY, so no job queues for the runner going away.
            assert done["done"][:2] == [
                {
                    "do": "delete",
                    "kind": "github_variable",
                    "name": "CI_RUNNER_READY",
                    "details": {},
                },
                {
                    "do": "delete",
                    "kind": "github_runner",
                    "name": "proj01-ci-runner",
                    "details": {},
                },
            ]
            assert list(github.runners) == [gpu] and not github.variables
            assert list(chi_uc.leases) == ["gpu-run"] and not cloud.leases
        finally:
            resources.write_text(shipped)


@pytest.mark.slow  # runs the generated `nox -s infra`
def test_a_changed_file_is_planned_and_applied(project, cloud, github, tmp_path):
    assert infra(project, "up")[0] == 0
    resources = project / "cicd" / "infra" / "resources.yml"
    shipped = resources.read_text()
    document = yaml.safe_load(shipped)
    document["security_groups"]["platform"] = [22, 443]
    del document["servers"]["ci-runner"]
    try:
        resources.write_text(yaml.safe_dump(document))
        code, planned, output = infra(project, "plan")
        assert code == 0, output
        assert [(s["do"], s["kind"], s["name"]) for s in planned["steps"]] == [
            ("update", "security_group", "proj01-platform"),
            # No runner VM in the file any more: the CI jobs stop waiting for it.
            ("delete", "github_variable", "CI_RUNNER_READY"),
            ("delete", "server", "proj01-ci-runner"),
        ]
        assert infra(project, "up")[0] == 0
    finally:
        resources.write_text(shipped)
    groups = {group["name"]: group for group in cloud.security_groups.values()}
    ports = sorted(
        r["port_range_min"] for r in groups["proj01-platform"]["security_group_rules"]
    )
    assert ports == [22, 443]
    assert [s["name"] for s in cloud.servers.values()] == ["proj01-platform"]
    assert not github.variables


@pytest.mark.slow  # runs the generated `nox -s infra`
def test_a_bad_file_is_refused_before_any_request(project, cloud):
    resources = project / "cicd" / "infra" / "resources.yml"
    shipped = resources.read_text()
    try:
        resources.write_text(shipped.replace("instances: 2", "instances: 1"))
        code, _, output = infra(project, "up")
    finally:
        resources.write_text(shipped)
    # nox ends 1 whatever the exit code (2 here); the message is what counts.
    assert code != 0 and "reservation.instances of at least 2" in output
    assert cloud.requests == [], "nothing is asked of the cloud"


@pytest.mark.slow  # runs the generated `nox -s infra`
def test_up_without_a_github_token_is_refused_before_any_step(
    project, cloud, monkeypatch
):
    monkeypatch.delenv("RUNNER_ADMIN_TOKEN")
    code, _, output = infra(project, "up")
    assert code != 0 and "RUNNER_ADMIN_TOKEN" in output
    changes = [r for r in cloud.requests if r[0] != "GET" and "auth/tokens" not in r[1]]
    assert changes == [], "nothing is made when the runner cannot be registered"


@pytest.mark.slow  # runs the generated `nox -s infra`
def test_the_mlflow_tracker_gets_its_bucket_and_the_platform_its_port(
    tracker_project, cloud, object_store, monkeypatch
):
    """MLflow runs on the platform VM's cluster (cicd/k8s/base/tracker): `up`
    makes no VM for it, only its bucket and port 5000 on the platform."""
    for name in OBJECT_STORE:
        monkeypatch.delenv(name, raising=False)
    code, _, output = infra(tracker_project, "up")
    assert code != 0 and "AWS_SECRET_ACCESS_KEY" in output, output
    assert "data/README.md" in output  # where to make them
    changes = [r for r in cloud.requests if r[0] != "GET" and "auth/tokens" not in r[1]]
    assert changes == [], "nothing is made when the buckets cannot be made"

    for name, value in OBJECT_STORE.items():
        monkeypatch.setenv(name, value)
    code, _, output = infra(tracker_project, "up")
    assert code == 0, output
    (lease,) = cloud.leases.values()
    assert lease["reservations"][0]["amount"] == 2
    groups = {group["name"]: group for group in cloud.security_groups.values()}
    rules = groups["proj01-platform"]["security_group_rules"]
    assert 5000 in {rule["port_range_min"] for rule in rules}
    assert "proj01-tracker" not in groups
    servers = {s["name"] for s in cloud.servers.values()}
    assert servers == {"proj01-ci-runner", "proj01-platform"}
    _, store = object_store
    assert (store / "proj01-mlflow").is_dir()  # its artifacts and backups, made by up


ANSIBLE_ENV = """
from cicd import room_envs
print(room_envs.ensure("cicd/infra/ansible", log=lambda *_: None))
"""


@pytest.mark.slow  # builds the Ansible environment (shared across runs)
def test_the_playbook_linter_does_catch_a_mistake(project, tmp_path):
    """The generated `nox -s lint` passes the shipped playbook (test_generated_
    projects); here its linter refuses a playbook with unnamed shell tasks."""
    made = subprocess.run(
        [sys.executable, "-c", ANSIBLE_ENV],
        cwd=project,
        env={**project_env(), "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    bin_dir = Path(made.stdout.strip().splitlines()[-1])
    bad = tmp_path / "bad.yml"
    bad.write_text("- hosts: all\n  tasks:\n    - ansible.builtin.shell: echo hi\n")
    result = subprocess.run(
        [str(bin_dir / "ansible-lint"), "--offline", str(bad)],
        cwd=tmp_path,
        env={**project_env(), "PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "name[missing]" in output, output
