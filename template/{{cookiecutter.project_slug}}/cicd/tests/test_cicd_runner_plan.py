"""`runner plan`: the requests a GPU run makes, names, limits and secrets."""

import json
import sys
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from cicd.runner import cli, credentials, settings
from cicd.runner.plan import BLAZAR_TIME_FORMAT, make_plan
from cicd.runner.userdata import PLACEHOLDER

SECRETS = {
    "OS_AUTH_URL": "https://chi.example.org:5000/v3",
    "OS_APPLICATION_CREDENTIAL_ID": "cred-id-0001",
    "OS_APPLICATION_CREDENTIAL_SECRET": "os-secret-must-not-leak",
    "RUNNER_ADMIN_TOKEN": "ghp_token-must-not-leak",
    "OS_RELEASE_APPLICATION_CREDENTIAL_ID": "release-id-0002",
    "OS_RELEASE_APPLICATION_CREDENTIAL_SECRET": "release-secret-must-not-leak",
    "AWS_SECRET_ACCESS_KEY": "ec2-secret-must-not-leak",
}
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def no_credentials(monkeypatch):
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_prints_every_request_as_json(capsys, no_credentials):
    code, out, _ = run(capsys, "plan", "--run-id", "7-1")
    assert code == 0
    plan = json.loads(out)
    assert set(plan) >= {"lease", "server", "user_data", "runner_registration"}
    label = f"{settings.PROJECT_ID}-gpu-runner-7-1"
    names = [
        plan["label"],
        plan["lease"]["name"],
        plan["server"]["name"],
        plan["runner_registration"]["body"]["name"],
    ]
    assert names == [label] * 4
    assert all(name.startswith(settings.PROJECT_ID) for name in names)
    reservation = plan["lease"]["reservations"][0]
    constraint = json.loads(reservation["resource_properties"])
    assert constraint == ["==", "$node_type", settings.GPU_NODE_TYPE]
    assert plan["lease"]["site"] == settings.SITE
    assert plan["server"]["image"].startswith("CC-Ubuntu")
    assert set(plan["credentials"].values()) == {"missing"}


def lease_length(lease: dict) -> timedelta:
    assert lease["start_date"] == "now"
    end = datetime.strptime(lease["end_date"], BLAZAR_TIME_FORMAT)
    return end.replace(tzinfo=UTC) - NOW


def test_lease_lasts_the_asked_hours_and_never_more_than_allowed():
    assert lease_length(make_plan("1-1", hours=1, now=NOW)["lease"]) == timedelta(
        hours=1
    )
    default = make_plan("1-1", hours=None, now=NOW)["lease"]
    assert lease_length(default) == timedelta(hours=settings.MAX_LEASE_HOURS)


@pytest.mark.parametrize("hours", [0, settings.MAX_LEASE_HOURS + 1, 24])
def test_longer_leases_are_refused_with_the_limit(capsys, hours):
    code, out, err = run(capsys, "plan", "--hours", str(hours))
    assert code == 2 and out == ""
    assert f"at most {settings.MAX_LEASE_HOURS} hour(s)" in err


def test_run_ids_that_make_bad_names_are_refused(capsys):
    code, _, err = run(capsys, "plan", "--run-id", "has space")
    assert code == 2
    assert "letters, digits and hyphens" in err


def test_node_deadline_comes_before_the_lease_end():
    plan = make_plan("1-1", hours=1, now=NOW)
    env = next(
        entry["content"]
        for entry in yaml.safe_load(plan["user_data"])["write_files"]
        if entry["path"] == "/etc/gpu-runner/runner.env"
    )
    values = dict(line.split("=", 1) for line in env.splitlines())
    end = datetime.strptime(plan["lease"]["end_date"], BLAZAR_TIME_FORMAT)
    deadline = end.replace(tzinfo=UTC) - timedelta(
        minutes=settings.DEADLINE_MARGIN_MINUTES
    )
    assert int(values["DEADLINE_EPOCH"]) == int(deadline.timestamp())
    assert int(values["IDLE_MINUTES"]) == settings.IDLE_MINUTES
    assert values["RUNNER_LABEL"] == plan["label"]


def test_secrets_never_reach_the_plan(capsys, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    code, out, err = run(capsys, "plan")
    assert code == 0
    for name in credentials.SECRET_VARIABLES:
        assert SECRETS[name] not in out + err
    plan = json.loads(out)
    assert set(plan["credentials"].values()) == {"set"}
    assert plan["node_release"].startswith("deletes its own lease")
    jit = next(
        entry
        for entry in yaml.safe_load(plan["user_data"])["write_files"]
        if entry["path"] == "/etc/gpu-runner/jitconfig"
    )
    assert jit["content"] == PLACEHOLDER and jit["permissions"] == "0600"


@pytest.mark.parametrize("command", ["up", "down", "status", "gc"])
def test_missing_credentials_are_named(capsys, no_credentials, command):
    code, out, err = run(capsys, command)
    assert code == 2 and out == ""
    missing = "OS_AUTH_URL" if command == "up" else "RUNNER_ADMIN_TOKEN"
    assert missing in err and "cicd/docs/runners.md" in err


def test_up_without_python_chi_says_how_to_get_it(capsys, monkeypatch):
    # The cicd test environment deliberately lacks python-chi; the error must say
    # so (and how to fix it) without printing any secret it was given.
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(sys.modules, "chi", None)  # as if not installed
    code, _, err = run(capsys, "up", "--run-id", "9-1")
    assert code == 1
    assert "python-chi is not installed" in err and "nox -s runner" in err
    assert not any(value in err for value in SECRETS.values() if "leak" in value)
