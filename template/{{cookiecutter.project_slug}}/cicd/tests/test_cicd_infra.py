"""cicd/infra without a cloud: resources.yml read and refused, plans computed.

`up`, `down` and `status` through python-chi are tested by the template's own
suite, against a local server speaking OpenStack's APIs (tests/test_infra.py).
"""

import json
from dataclasses import replace

import pytest
import yaml

from cicd.infra.cli import main
from cicd.infra.desired import (
    LEASE_NAME,
    RESOURCES_FILE,
    InfraFileError,
    load,
    named,
    parse,
)
from cicd.infra.inventory import inventory
from cicd.infra.plan import Existing, Step, plan, teardown
from cicd.runner import credentials


def document() -> dict:
    return yaml.safe_load(RESOURCES_FILE.read_text())


def test_the_shipped_file_names_everything_after_the_project():
    desired = load()
    assert desired.site == "KVM@TACC"
    assert named("infra") == LEASE_NAME
    assert [server.name for server in desired.servers] == [
        named("platform"),
        named("ci-runner"),
    ]
    assert desired.buckets[0] == named("data")  # the data room's DATA_BUCKET default
    assert all(name.startswith(named("")) for name in desired.security_groups)
    for server in desired.servers:
        assert desired.user_data(server).startswith("#cloud-config")


def test_a_plan_from_nothing_creates_everything_in_order():
    steps = plan(load(), Existing())
    kinds = [step.kind for step in steps]
    assert kinds[0] == "lease" and {step.do for step in steps} == {"create"}
    assert kinds.index("security_group") < kinds.index("server")
    platform = [step.kind for step in steps if step.name == named("platform")]
    assert platform == ["security_group", "server", "floating_ip"]
    (runner,) = [s for s in steps if (s.kind, s.name) == ("server", named("ci-runner"))]
    assert runner.details["github_runner"] == named("ci")
    # Once the runner VM is made, the CI jobs' `if:` lets them run.
    assert steps.index(runner) < steps.index(
        Step("create", "github_variable", "CI_RUNNER_READY", {"value": "true"})
    )


def test_ci_runner_ready_follows_the_runner_vm():
    desired = load()
    ready = Existing(github_variables={"CI_RUNNER_READY": "true"})
    assert [s for s in plan(desired, ready) if s.kind == "github_variable"] == []
    wrong = Existing(github_variables={"CI_RUNNER_READY": "false"})
    (step,) = [s for s in plan(desired, wrong) if s.kind == "github_variable"]
    assert (step.do, step.details) == ("update", {"value": "true"})
    without_runner = replace(
        desired, servers=tuple(s for s in desired.servers if not s.github_runner)
    )
    (step,) = [s for s in plan(without_runner, ready) if s.kind == "github_variable"]
    assert step.do == "delete"
    # `down` takes it first: no job is queued for a runner on its way out.
    assert teardown(ready)[0] == Step("delete", "github_variable", "CI_RUNNER_READY")


def test_a_tracker_vm_of_an_older_file_is_refused_by_name():
    # MLflow moved from a VM of its own to the cluster (cicd/k8s/base/tracker):
    # a file that still asks for the VM is refused before anything is made.
    shipped = document()
    shipped["servers"]["tracker"] = {
        "os_image": "CC-Ubuntu24.04",
        "security_groups": ["platform"],
        "cloud_init": "base.yaml",
        "mlflow_server": True,
    }
    with pytest.raises(InfraFileError, match=r"servers\.tracker.*mlflow_server"):
        parse(shipped)


def test_buckets_are_made_never_deleted_by_up_and_kept_by_down_when_they_hold_data():
    desired = load()
    data = named("data")
    steps = plan(desired, Existing())
    assert [s.name for s in steps if s.kind == "bucket"] == list(desired.buckets)
    assert {s.do for s in steps if s.kind == "bucket"} == {"create"}
    # A bucket the file no longer names is left alone by up.
    other = named("old-logs")
    existing = Existing(buckets={data: {"empty": True}, other: {"empty": True}})
    assert not [
        s for s in plan(desired, existing) if s.kind == "bucket" and s.do != "create"
    ]
    # down: an empty bucket goes, one that holds objects is kept.
    existing = Existing(buckets={data: {"empty": False}, other: {"empty": True}})
    assert [(s.do, s.name) for s in teardown(existing)] == [
        ("keep", data),
        ("delete", other),
    ]


def test_the_inventory_reaches_each_vm_at_its_floating_ip_or_through_one():
    desired = load()
    platform, runner = named("platform"), named("ci-runner")
    existing = Existing(
        servers={
            platform: {"id": "s1", "address": "10.56.0.10"},
            runner: {"id": "s2", "address": "10.56.0.11"},
        },
        floating_ips={platform: {"id": "f1", "address": "129.114.0.10"}},
    )
    groups = inventory(desired, existing)
    hosts = groups["infra"]["hosts"]
    assert hosts[platform] == {"ansible_host": "129.114.0.10"}
    assert hosts[runner] == {
        "ansible_host": "10.56.0.11",
        "ansible_ssh_common_args": "-o ProxyJump=cc@129.114.0.10",
    }
    assert groups["infra"]["vars"] == {"ansible_user": "cc"}
    assert list(groups["platform"]["hosts"]) == [platform]
    assert list(groups["ci_runner"]["hosts"]) == [runner]
    assert list(groups["github_runners"]["hosts"]) == [runner]
    # Only the VMs that exist: a server not made yet is in no group.
    existing.servers.pop(runner)
    groups = inventory(desired, existing)
    assert all(runner not in group["hosts"] for group in groups.values())


def test_what_exists_already_is_left_alone_and_what_is_gone_is_deleted():
    desired = load()
    existing = Existing(
        lease={"id": "l1", "name": LEASE_NAME, "status": "ACTIVE"},
        security_groups={
            name: {"id": name, "ports": list(ports)}
            for name, ports in desired.security_groups.items()
        },
        servers={
            server.name: {"id": server.name, "status": "ACTIVE"}
            for server in desired.servers
        },
        floating_ips={
            server.name: {"id": f"ip-{server.name}", "port_id": f"port-{server.name}"}
            for server in desired.servers
            if server.floating_ip
        },
        buckets={name: {"empty": False} for name in desired.buckets},
        github_variables={"CI_RUNNER_READY": "true"},
    )
    assert plan(desired, existing) == []
    existing.servers[named("old-box")] = {"id": "s9"}
    existing.floating_ips[named("old-box")] = {"id": "f9"}
    existing.security_groups[named("platform")]["ports"] = [22]
    steps = [(step.do, step.kind, step.name) for step in plan(desired, existing)]
    assert steps == [
        ("update", "security_group", named("platform")),
        ("delete", "floating_ip", named("old-box")),
        ("delete", "server", named("old-box")),
    ]
    down = [(step.kind, step.name) for step in teardown(existing)]
    assert down[-1] == ("lease", LEASE_NAME)
    assert down.index(("server", named("platform"))) < down.index(
        ("security_group", named("platform"))
    )

    # An ended lease takes its VMs with it: all are made again, and the kept
    # floating IP goes to the new server, so the address stays.
    existing.lease["status"] = "TERMINATED"
    del existing.servers[named("old-box")], existing.floating_ips[named("old-box")]
    existing.security_groups[named("platform")]["ports"] = [
        *desired.security_groups[named("platform")]
    ]
    steps = [(step.do, step.kind, step.name) for step in plan(desired, existing)]
    assert steps[:2] == [
        ("delete", "lease", LEASE_NAME),
        ("create", "lease", LEASE_NAME),
    ]
    assert steps[2:5] == [
        ("delete", "server", named("platform")),
        ("create", "server", named("platform")),
        ("update", "floating_ip", named("platform")),
    ]
    assert ("create", "floating_ip", named("platform")) not in steps
    assert {name for _, kind, name in steps if kind == "server"} == {
        server.name for server in desired.servers
    }
    # A server in ERROR in a live lease is made again alone.
    existing.lease["status"] = "ACTIVE"
    existing.servers[named("ci-runner")]["status"] = "ERROR"
    steps = [(step.do, step.kind, step.name) for step in plan(desired, existing)]
    assert steps == [
        ("delete", "server", named("ci-runner")),
        ("create", "server", named("ci-runner")),
    ]


def test_bare_metal_leases_are_planned_at_their_own_sites():
    shipped = document()
    shipped["bare_metal"] = {
        "gpu-serving": {"site": "CHI@UC", "node_type": "gpu_a100_pcie", "days": 2}
    }
    desired = parse(shipped)
    assert desired.sites() == [desired.site, "CHI@UC"]
    (lease,) = desired.bare_metal
    assert (lease.name, lease.nodes) == (named("metal-gpu-serving"), 1)
    (step,) = [step for step in plan(desired, Existing()) if step.name == lease.name]
    assert (step.do, step.kind) == ("create", "bare_metal_lease")
    assert step.details == {
        "site": "CHI@UC",
        "node_type": "gpu_a100_pcie",
        "nodes": 1,
        "days": 2,
    }
    running = {"id": "b1", "site": "CHI@UC", "status": "ACTIVE"}
    old = {"id": "b2", "site": "CHI@UC", "status": "ACTIVE"}
    existing = Existing(
        bare_metal_leases={lease.name: running, named("metal-old"): old},
        github_runners={named("old-runner"): {"id": 7}},
    )
    steps = [(s.do, s.kind, s.name) for s in plan(desired, existing)]
    assert ("create", "bare_metal_lease", lease.name) not in steps
    assert steps[-1] == ("delete", "bare_metal_lease", named("metal-old"))
    # A registration no runner VM of the file answers to goes, before anything else.
    assert ("delete", "github_runner", named("old-runner")) in steps
    running["status"] = "TERMINATED"  # ended: made again
    renewed = [(s.do, s.name) for s in plan(desired, existing) if s.name == lease.name]
    assert renewed == [("delete", lease.name), ("create", lease.name)]
    down = teardown(existing)
    assert (down[0].kind, down[-1].kind) == ("github_runner", "bare_metal_lease")
    assert down[-1].details == {"site": "CHI@UC"}


def test_each_other_site_has_its_own_credential_and_its_secret_is_masked(
    monkeypatch,
):
    assert credentials.site_variables("KVM@TACC", "KVM@TACC") == (
        credentials.CHAMELEON_VARIABLES
    )
    names = credentials.site_variables("CHI@UC", "KVM@TACC")
    assert names == (
        "CHI_UC_OS_AUTH_URL",
        "CHI_UC_OS_APPLICATION_CREDENTIAL_ID",
        "CHI_UC_OS_APPLICATION_CREDENTIAL_SECRET",
    )
    for name in names:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(credentials.MissingCredentials, match="CHI_UC_OS_AUTH_URL"):
        credentials.chameleon_at("CHI@UC", "KVM@TACC")
    for name in names:
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    found = credentials.chameleon_at("CHI@UC", "KVM@TACC")
    assert found["OS_AUTH_URL"] == "value-of-chi_uc_os_auth_url"
    secret = found["OS_APPLICATION_CREDENTIAL_SECRET"]
    assert credentials.redact(f"refused {secret}") == "refused ***"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"reservation": None}, "reservation must be a mapping"),
        ({"reservation": {"flavor": "m1.medium", "instances": 0, "days": 1}}, "from 1"),
        (
            {"reservation": {"flavor": "m1.medium", "instances": 1, "days": 6}},
            r"\d servers need reservation.instances of at least \d, not 1",
        ),
        ({"security_groups": {"platform": [22, 70000]}}, "from 1 to 65535"),
        (
            {"servers": {"box": {"os_image": "x", "security_groups": ["nope"]}}},
            "no security group",
        ),
        ({"servers": {"box": {"os_image": "x", "disk": 40}}}, "unknown key"),
        ({"servers": {"box": {"cloud_init": "../../etc.yaml"}}}, "no cloud_init/"),
        ({"servers": {"box": {"security_groups": []}}}, "os_image must name"),
        ({"buckets": "data"}, "buckets must be a list"),
        ({"buckets": ["Data_Set"]}, "lowercase letters, digits and hyphens"),
        ({"buckets": ["x" * 60]}, "longer than 63 characters"),
        ({"bare_metal": {"gpu": {"site": "CHI@UC", "days": 1}}}, "node_type must"),
        (
            {"bare_metal": {"gpu": {"site": "CHI@UC", "node_type": "x", "days": 9}}},
            r"bare_metal.gpu.days must be a whole number from 1 to 7",
        ),
        (
            {"bare_metal": {"GPU": {"site": "CHI@UC", "node_type": "x", "days": 1}}},
            "bare_metal.GPU: use lowercase",
        ),
        ({"bare_metal": {"gpu": {"site": "CHI@UC", "nodetype": "x"}}}, "unknown key"),
    ],
)
def test_a_bad_file_is_refused_naming_the_key(edit, message):
    with pytest.raises(InfraFileError, match=message):
        parse({**document(), **edit})


def test_plan_without_credentials_prints_json_from_nothing(monkeypatch, capsys):
    for name in (
        "OS_AUTH_URL",
        "OS_APPLICATION_CREDENTIAL_SECRET",
        "AWS_ACCESS_KEY_ID",
        "RUNNER_ADMIN_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    assert main(["plan"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["compared_with"].startswith("nothing")
    assert printed["buckets_compared_with"].startswith("nothing")
    assert printed["steps"][0]["kind"] == "lease"
    assert printed["steps"][-2] == {
        "do": "create",
        "kind": "bucket",
        "name": load().buckets[-1],
        "details": {},
    }
    assert printed["steps"][-1]["name"] == "CI_RUNNER_READY"


def test_up_without_credentials_names_the_variables(monkeypatch, capsys):
    monkeypatch.delenv("OS_APPLICATION_CREDENTIAL_SECRET", raising=False)
    assert main(["up"]) == 2
    assert "OS_APPLICATION_CREDENTIAL_SECRET" in capsys.readouterr().err
