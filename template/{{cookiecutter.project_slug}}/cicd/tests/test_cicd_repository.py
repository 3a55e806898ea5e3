"""Repository wiring: CI runs what members run, pins agree, rooms are owned."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("data", "training", "serving", "monitoring", "cicd")


def workflow(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def all_workflows() -> dict[str, dict]:
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    }


def test_ci_runs_the_members_nox_sessions():
    jobs = workflow("ci.yml")["jobs"]
    commands = [step.get("run", "") for job in jobs.values() for step in job["steps"]]
    for session in ("lint", "pipeline"):
        assert f"nox -s {session}" in commands
    # Each room's tests in a job of its own, plus the shared package's.
    tests = jobs["tests"]
    assert 'nox -s tests -- "$ROOM"' in [step.get("run") for step in tests["steps"]]
    assert set(tests["strategy"]["matrix"]["room"]) == {*ROOMS, "shared"}


RELEASE_JOBS = ("staging", "canary", "production")


def test_workflows_are_least_privilege_bounded_and_pinned():
    # Only these jobs may ask for more than reading the repository.
    # The deploy's records (release_branch.sh), and the GPU run's training.json.
    releases = {"actions": "read", "contents": "write"}
    extra_permissions = {
        ("deploy.yml", "build"): {"actions": "read", "packages": "write"},
        **{("deploy.yml", stage): releases for stage in RELEASE_JOBS},
        # A model trained on main is deployed: deploy.yml's needs, granted.
        ("gpu-training.yml", "deploy"): {**releases, "packages": "write"},
        ("demo.yml", "demo"): {"contents": "write"},  # the milestone's release
        ("rooms.yml", "rooms"): {"pull-requests": "write"},  # its one comment
        ("template-update.yml", "update"): {
            "contents": "write",  # the update branch
            "pull-requests": "write",  # the update's pull request
        },
    }
    for name, flow in all_workflows().items():
        assert flow["permissions"] == {"contents": "read"}, name
        assert "pull_request_target" not in flow[True], name  # `on:` parses as True
        for job_name, job in flow["jobs"].items():
            wanted = {"contents": "read", **extra_permissions.get((name, job_name), {})}
            assert job.get("permissions", {"contents": "read"}) == wanted
            if "uses" in job:  # a workflow of this repository, called
                assert re.fullmatch(r"\./\.github/workflows/[\w-]+\.yml", job["uses"])
                continue
            assert job.get("timeout-minutes"), f"{name}: job {job_name} has no timeout"
            # Only the jobs that push a release record keep git's credentials.
            pushes = name == "deploy.yml" and job_name in RELEASE_JOBS
            for step in job["steps"]:
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"])
                if "checkout" in step.get("uses", ""):
                    assert step["with"]["persist-credentials"] is pushes


def test_ci_cancels_superseded_runs():
    assert workflow("ci.yml")["concurrency"]["cancel-in-progress"] is True


def test_pre_commit_pins_match_the_lint_environment():
    pins = {}
    for line in (ROOT / "cicd" / "requirements.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip()] = version.strip()
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    for repo in config["repos"]:
        for hook in repo["hooks"]:
            for dependency in hook.get("additional_dependencies", []):
                name, version = dependency.split("==")
                if name in pins:
                    assert pins[name] == version, f"{hook['id']} pins {dependency}"


def test_every_room_has_exactly_one_codeowners_line():
    lines = [
        line.split()[0]
        for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for room in ROOMS:
        assert lines.count(f"/{room}/") == 1, room


def test_no_room_deadlocks_under_required_code_owner_review():
    # GitHub never counts an author's approval of their own pull request: a room
    # with a single code owner could not take that owner's changes.
    for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *handles = line.split()
            assert len(set(handles)) >= 2, f"{pattern} has one code owner only"


def pinned_actions(name: str) -> set[str]:
    jobs = workflow(name)["jobs"].values()
    return {step["uses"] for job in jobs for step in job["steps"] if "uses" in step}


def test_demo_workflow_runs_on_demo_tags_and_only_publishing_gets_the_token():
    demo = workflow("demo.yml")
    # PyYAML reads the key `on` as True.
    assert demo[True] == {"push": {"tags": ["demo/*"]}}
    assert demo["permissions"] == {"contents": "read"}
    (job,) = demo["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    steps = job["steps"]
    with_token = [step for step in steps if "GITHUB_TOKEN" in step.get("env", {})]
    assert [step["run"].split()[:3] for step in with_token] == [
        ["nox", "-s", "release"]
    ]
    checks = next(step for step in job["steps"] if step.get("id") == "checks")
    assert checks["run"].startswith("nox -s demo -- ")
    checkout = job["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0, "contributions need the history"
    # The same pinned actions as ci.yml, and no cache in a publishing workflow.
    assert pinned_actions("demo.yml") <= pinned_actions("ci.yml")
    assert all("cache" not in step.get("with", {}) for step in job["steps"])


def test_rooms_workflow_comments_without_running_forks_with_a_write_token():
    rooms = workflow("rooms.yml")
    assert set(rooms[True]) == {"pull_request"}  # never pull_request_target
    (job,) = rooms["jobs"].values()
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert pinned_actions("rooms.yml") <= pinned_actions("ci.yml")
