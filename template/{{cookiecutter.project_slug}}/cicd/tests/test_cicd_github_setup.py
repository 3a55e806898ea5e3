"""`nox -s github-setup` against a local server speaking GitHub's REST API
(fake_github.py): the documented state reached, nothing changed by a second run,
`--dry-run` changing nothing, and no value ever printed."""

import json

import pytest
from fake_github import TOKEN, FakeGitHub

from cicd.course.milestones import load
from cicd.github_setup.cli import main
from cicd.github_setup.desired import ROOT as PROJECT_ROOT
from cicd.github_setup.desired import ci_checks, desired
from cicd.settings_check import SETTINGS

REPOSITORY = "team/project"
VALUES = {
    "DEPLOY_URL": "http://129.114.27.9",
    "OS_AUTH_URL": "https://kvm.example.org:5000/v3",
}
SECRETS = {s.name for group in SETTINGS.values() for s in group if s.kind == "secret"}


@pytest.fixture
def github(monkeypatch):
    with FakeGitHub(REPOSITORY) as fake:
        fake.users = {member: 1000 + n for n, member in enumerate(load().members)}
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        for name in [*VALUES, *SECRETS]:
            monkeypatch.delenv(name, raising=False)
        yield fake


def setup(capsys, *args: str) -> tuple[int, dict, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, json.loads(out), err


def writes(github: FakeGitHub) -> list[dict]:
    return [r for r in github.requests if r["method"] != "GET"]


def test_the_ci_checks_are_the_names_github_gives_ci_yml_jobs():
    checks = ci_checks(PROJECT_ROOT / ".github" / "workflows" / "ci.yml")
    assert "lint" in checks and "pipeline" in checks
    assert "tests (training)" in checks and "tests (shared)" in checks


def test_dry_run_prints_every_change_and_makes_none(github, capsys):
    code, report, err = setup(capsys, "--dry-run")
    assert code == 0 and report["dry_run"] is True
    assert writes(github) == []
    kinds = [(c["kind"], c["name"]) for c in report["changes"]]
    assert kinds[0] == ("branch_protection", "main")
    environments = [name for kind, name in kinds if kind == "environment"]
    assert environments == ["staging", "canary", "production", "chameleon"]
    assert ("actions_permissions", "workflow") in kinds
    missing = {entry["name"] for entry in report["missing"]}
    assert missing == SECRETS | set(VALUES)
    assert "still to set: KUBECONFIG_DATA in Settings > Secrets" in err


def test_setup_reaches_the_documented_state_and_a_second_run_changes_nothing(
    github, capsys, monkeypatch
):
    for name, value in VALUES.items():
        monkeypatch.setenv(name, value)
    github.secrets = {"KUBECONFIG_DATA"}
    code, report, err = setup(capsys)
    assert code == 0 and report["refused"] == [], report
    for value in VALUES.values():
        assert value not in json.dumps(report) + err  # only names are printed

    members = sorted(load().members)
    wanted = desired(load().members)
    protection = github.protection["main"]
    assert protection["required_status_checks"]["contexts"] == sorted(
        wanted.protection.checks
    )
    reviews = protection["required_pull_request_reviews"]
    assert reviews["require_code_owner_reviews"] is True
    assert reviews["required_approving_review_count"] == 1
    assert protection["enforce_admins"] == {"enabled": False}
    (rule,) = github.environments["production"]["protection_rules"]
    assert rule["prevent_self_review"] is True
    assert sorted(r["reviewer"]["login"] for r in rule["reviewers"]) == members
    for stage in ("staging", "canary", "production"):
        policy = github.environments[stage]["deployment_branch_policy"]
        assert policy == {"protected_branches": True, "custom_branch_policies": False}
    assert github.environments["staging"]["protection_rules"] == []
    assert github.environments["chameleon"]["deployment_branch_policy"] is None
    assert github.workflow_permissions == {
        "default_workflow_permissions": "read",
        "can_approve_pull_request_reviews": True,
    }
    deploy_values = {n: v for n, v in VALUES.items() if n.startswith("DEPLOY_")}
    assert github.variables == deploy_values
    assert github.environment_variables["chameleon"] == {
        "OS_AUTH_URL": VALUES["OS_AUTH_URL"]
    }
    # Secrets are only named, with where to set them; KUBECONFIG_DATA exists.
    missing = {entry["name"]: entry["where"] for entry in report["missing"]}
    assert set(missing) == SECRETS - {"KUBECONFIG_DATA"}
    chameleon = "Settings > Environments > chameleon > Environment secrets"
    assert missing["RUNNER_ADMIN_TOKEN"] == chameleon

    before = len(github.requests)
    code, again, _ = setup(capsys)
    assert code == 0 and again["changes"] == []
    assert [r for r in github.requests[before:] if r["method"] != "GET"] == []


def test_a_setting_changed_by_hand_is_put_back(github, capsys):
    assert setup(capsys)[0] == 0
    reviews = github.protection["main"]["required_pull_request_reviews"]
    reviews["require_code_owner_reviews"] = False
    github.workflow_permissions["can_approve_pull_request_reviews"] = False
    code, report, _ = setup(capsys)
    assert code == 0
    changed = [(c["do"], c["kind"]) for c in report["changes"]]
    assert changed == [
        ("update", "branch_protection"),
        ("update", "actions_permissions"),
    ]
    assert reviews is not github.protection["main"]["required_pull_request_reviews"]
    assert github.protection["main"]["required_pull_request_reviews"][
        "require_code_owner_reviews"
    ]


def test_a_refused_change_is_reported_and_the_others_are_made(github, capsys):
    github.protection_refused = True  # a free plan's private repository
    code, report, _ = setup(capsys)
    assert code == 1
    (refused,) = report["refused"]
    assert refused["kind"] == "branch_protection"
    assert "Upgrade to GitHub Pro" in refused["refused"]
    assert sorted(github.environments) == [
        "canary",
        "chameleon",
        "production",
        "staging",
    ]


def test_without_a_token_it_says_which_and_asks_nothing(github, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(SystemExit) as stopped:
        main([])
    assert stopped.value.code == 2
    assert "GITHUB_TOKEN" in capsys.readouterr().err
    assert github.requests == []
