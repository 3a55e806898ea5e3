"""`python -m cicd.course.demo`: checks, verdict, deadline status and the report."""

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from cicd.course import demo, figures
from cicd.course.milestones import FIGURES, MilestoneError, Timing, load

# A nox stand-in for the one session check below: it fails the way a broken
# session does (output, then a non-zero exit). Real nox runs in `nox -s demo`.
FAILING_NOX = f"{sys.executable} -c \"print('stage exploded'); raise SystemExit(3)\""
PASSING_NOX = f"{sys.executable} -c \"print('all good')\""


def plan_document(role_items: list[dict]) -> dict:
    return {
        "timezone": "America/New_York",
        "members": ["ana", "ben", "cat"],
        "roles": {
            "data": {"title": "Data", "owner": "cat", "paths": ["/data/"]},
            "cicd": {"title": "CI/CD", "owner": "shared", "paths": ["/cicd/"]},
        },
        "milestones": {
            "initial": {
                "title": "Initial implementation",
                "deadline": "2027-04-07T23:59:59",
                "shown": "each part runs on its own",
                "shared": [
                    {
                        "title": "Contract input sample",
                        "file": "contracts/input.sample.json",
                        "contains": ['"field"'],
                    }
                ],
                "roles": {"data": role_items, "cicd": []},
            }
        },
    }


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "input.sample.json").write_text('{"field": "x"}')
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    return tmp_path


def write_plan(project: Path, role_items: list[dict]) -> Path:
    path = project / "milestones.yml"
    path.write_text(yaml.safe_dump(plan_document(role_items), sort_keys=False))
    return path


def run_demo(project: Path, plan: Path, *extra: str) -> tuple[int, str]:
    code = demo.main(
        ["initial", "--milestones", str(plan), "--root", str(project), *extra]
    )
    return code, (project / "reports" / "initial.md").read_text()


def test_failing_deliverables_fail_the_demo_and_say_why(project):
    plan = write_plan(
        project,
        [
            {
                "title": "Data design",
                "file": "data/DESIGN.md",
                "contains": ["## Ingest"],
            },
            {"title": "Dataset built", "session": "data"},
        ],
    )
    code, report = run_demo(project, plan, "--nox", FAILING_NOX)
    assert code == 1
    assert "**FAIL**: 2 of 3 deliverables failed" in report
    assert "`data/DESIGN.md` does not exist" in report
    assert "`nox -s data` exited with code 3" in report
    assert "stage exploded" in report
    # The shared item passed and is reported as such, owned by the team.
    assert "| the whole team | Contract input sample |" in report
    assert "| pass |" in report
    assert (project / "reports" / "initial" / "log-data-2.log").is_file()


def test_file_check_names_the_missing_text(project):
    (project / "data").mkdir()
    (project / "data" / "DESIGN.md").write_text("# Design\n## Ingest\n")
    plan = write_plan(
        project,
        [
            {
                "title": "Data design",
                "file": "data/DESIGN.md",
                "contains": ["## Ingest", "## Object storage"],
            }
        ],
    )
    code, report = run_demo(project, plan)
    assert code == 1
    assert "`data/DESIGN.md` lacks `## Object storage`" in report


def test_passing_demo_links_evidence_and_figures(project, tmp_path):
    metrics = project / "artifacts" / "metrics"
    # Stands in for `nox -s train`: writes a small training history, as train does.
    epochs = [
        {
            "epoch": epoch,
            "train_loss": 2.0 / epoch,
            "val_loss": 2.2 / epoch,
            "train_accuracy": 0.3 * epoch,
            "val_accuracy": 0.28 * epoch,
        }
        for epoch in (1, 2, 3)
    ]
    history = json.dumps({"epochs": epochs})
    train = tmp_path / "train.py"
    train.write_text(
        "import json, os, pathlib\n"
        "metrics = pathlib.Path(os.environ['ARTIFACTS_DIR']) / 'metrics'\n"
        "metrics.mkdir(parents=True, exist_ok=True)\n"
        f"(metrics / 'training.json').write_text({history!r})\n"
    )
    plan = write_plan(
        project,
        [
            {
                "title": "Training ran",
                "session": "train",
                "evidence": "artifacts/metrics/training.json",
                "figure": "training-curve",
            }
        ],
    )
    code, report = run_demo(project, plan, "--nox", f"{sys.executable} {train}")
    assert code == 0, report
    assert "**PASS**: 2 of 2 deliverables pass" in report
    folder = project / "reports" / "initial"
    png = folder / "training-curve.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "![training-curve](initial/training-curve.png)" in report
    assert "[training.json](initial/training.json)" in report
    assert (folder / "training.json").read_bytes() == (
        metrics / "training.json"
    ).read_bytes()


def test_deadline_status_on_both_sides_of_the_deadline(project):
    plan = write_plan(project, [])
    # 2027-04-07 23:59:59 in New York (EDT, UTC-4) is 03:59:59 UTC the next day.
    code, report = run_demo(project, plan, "--at", "2027-04-08T03:59:59+00:00")
    assert code == 0
    assert "Deadline: 2027-04-07 23:59 EDT (America/New_York)" in report
    assert "**on time, 0 min before the deadline**" in report
    code, report = run_demo(project, plan, "--at", "2027-04-08T04:00:59+00:00")
    assert "**LATE by 1 min**" in report
    code, report = run_demo(project, plan, "--at", "2027-04-06T20:30:00-04:00")
    assert "**on time, 1 d 3 h 29 min before the deadline**" in report


def test_timing_respects_the_time_zone():
    new_york = ZoneInfo("America/New_York")
    deadline = datetime(2027, 4, 7, 23, 59, 59, tzinfo=new_york)
    paris_midnight = datetime(2027, 4, 8, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert not Timing(deadline, paris_midnight).late  # 18:00 in New York
    assert Timing(deadline, datetime(2027, 4, 8, 4, 0, tzinfo=ZoneInfo("UTC"))).late


def test_contributions_in_the_report_include_members_without_commits(project):
    plan = write_plan(project, [])
    _, report = run_demo(project, plan)
    assert "| @ana | cicd | 0 | 0 | 0 | 0 |" in report
    assert "| @cat | data, cicd | 0 | 0 | 0 | 0 |" in report


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a known IANA time zone"),
        ({"items": [{"title": "Both", "session": "x", "file": "y"}]}, "exactly one"),
        ({"items": [{"title": "None"}]}, "got none"),
        ({"items": [{"title": "F", "file": "x"}]}, "needs `contains"),
        ({"items": [{"title": "G", "session": "x", "figure": "pie"}]}, "'pie'"),
    ],
)
def test_bad_milestones_file_is_named(tmp_path, change, message):
    document = plan_document(change.get("items", []))
    if "timezone" in change:
        document["timezone"] = change["timezone"]
    path = tmp_path / "milestones.yml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(MilestoneError, match=re.escape(message)):
        load(path)


def test_unknown_milestone_is_refused(project, capsys):
    plan = write_plan(project, [])
    code = demo.main(["final", "--milestones", str(plan), "--root", str(project)])
    assert code == 2
    assert "unknown milestone 'final'; milestones.yml has initial" in (
        capsys.readouterr().err
    )


def test_generated_plan_loads_and_every_figure_is_drawable():
    plan = load()
    assert set(plan.milestones) == {"initial", "system", "operation"}
    assert set(figures.FIGURES) == set(FIGURES)
    for milestone in plan.milestones.values():
        assert milestone.deadline.tzinfo is not None
        assert any(milestone.by_role.values())


def test_session_evidence_must_be_fresh(project):
    # The session "passes" but writes nothing: the manifest is from an older run.
    manifest = project / "artifacts" / "data" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{}")
    os.utime(manifest, (1_000_000_000, 1_000_000_000))
    item = {"title": "Dataset", "session": "data", "evidence": str(manifest)}
    code, report = run_demo(project, write_plan(project, [item]), "--nox", PASSING_NOX)
    assert code == 1
    assert "left `" in report and "from an earlier run" in report


def test_one_role_can_check_its_own_part(project):
    items = [{"title": "Design", "file": "data/DESIGN.md", "contains": ["x"]}]
    code, report = run_demo(project, write_plan(project, items), "--role", "cicd")
    assert code == 0  # the data room's missing design was not checked
    assert "**Partial**: only cicd checked" in report
    assert "Contract input sample" not in report
    code, report = run_demo(project, write_plan(project, items), "--role", "data")
    assert code == 1 and "`data/DESIGN.md` does not exist" in report
