"""cicd/infra without a cloud: resources.yml read and refused, plans computed.

`up`, `down` and `status` through python-chi are tested by the template's own
suite, against a local server speaking OpenStack's APIs (tests/test_infra.py).
"""

import json

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
from cicd.infra.plan import Existing, plan, teardown


def document() -> dict:
    return yaml.safe_load(RESOURCES_FILE.read_text())


def test_the_shipped_file_names_everything_after_the_project():
    desired = load()
    assert desired.site == "KVM@TACC"
    assert named("infra") == LEASE_NAME
    assert [server.name for server in desired.servers] == [
        named("platform"),
        named("ci-runner"),
{%- if cookiecutter.tracker == 'mlflow' %}
        named("tracker"),  # the team's MLflow server
{%- endif %}
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


def test_an_mlflow_server_is_planned_with_its_bucket():
    shipped = document()
    shipped["reservation"]["instances"] = 3
    shipped["security_groups"]["tracker"] = [22, 5000]
    shipped["servers"]["tracker"] = {
        "os_image": "CC-Ubuntu24.04",
        "security_groups": ["tracker"],
        "floating_ip": True,
        "mlflow_server": True,
    }
    steps = plan(parse(shipped), Existing())
    (server,) = [s for s in steps if (s.kind, s.name) == ("server", named("tracker"))]
    assert server.details["mlflow_server"] == f"s3://{named('mlflow')}"
    others = [s for s in steps if s.kind == "server" and s.name != named("tracker")]
    assert not any("mlflow_server" in s.details for s in others)


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
    assert all(named("tracker") not in group["hosts"] for group in groups.values())


def test_what_exists_already_is_left_alone_and_what_is_gone_is_deleted():
    desired = load()
    existing = Existing(
        lease={"id": "l1", "name": LEASE_NAME},
        security_groups={
            name: {"id": name, "ports": list(ports)}
            for name, ports in desired.security_groups.items()
        },
        servers={server.name: {"id": server.name} for server in desired.servers},
        floating_ips={
            server.name: {"id": f"ip-{server.name}"}
            for server in desired.servers
            if server.floating_ip
        },
        buckets={name: {"empty": False} for name in desired.buckets},
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
    ):
        monkeypatch.delenv(name, raising=False)
    assert main(["plan"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["compared_with"].startswith("nothing")
    assert printed["buckets_compared_with"].startswith("nothing")
    assert printed["steps"][0]["kind"] == "lease"
    assert printed["steps"][-1] == {
        "do": "create",
        "kind": "bucket",
        "name": load().buckets[-1],
        "details": {},
    }


def test_up_without_credentials_names_the_variables(monkeypatch, capsys):
    monkeypatch.delenv("OS_APPLICATION_CREDENTIAL_SECRET", raising=False)
    assert main(["up"]) == 2
    assert "OS_APPLICATION_CREDENTIAL_SECRET" in capsys.readouterr().err
