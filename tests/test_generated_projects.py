"""The generated projects' own checks: their tests, their lint, their pipeline.

These run the rendered project's noxfile exactly as a member would. Room
environments are shared between renderings (ROOM_ENVS_DIR), so the heavy
dependencies are installed once per machine, not once per rendering.
"""

import json

import pytest
import yaml
from conftest import SCENARIOS, answers_of, run_nox


def tail(result, lines: int = 60) -> str:
    """The end of the output, and every pytest failure line before it."""
    output = (result.stdout + result.stderr).splitlines()
    failures = [line for line in output if line.lstrip().startswith(("E   ", "FAILED"))]
    return "\n".join([*failures[:80], "...", *output[-lines:]])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_generated_tests_pass(projects, scenario):
    result = run_nox(projects[scenario], "-s", "tests")
    assert result.returncode == 0, tail(result)
    output = result.stdout + result.stderr
    for room in ("data", "training", "serving", "monitoring", "cicd"):
        assert f"pytest {room}/tests" in output, f"the {room} tests did not run"
    assert " failed" not in output


def test_generated_lint_session_passes(projects):
    result = run_nox(projects["four-owned-cicd"], "-s", "lint")
    assert result.returncode == 0, tail(result)


def test_pipeline_runs_end_to_end(projects):
    # The rendering with an accented name and a shared cicd role: derived names
    # must work all the way from data to the served model.
    project = projects["three-shared-cicd-accents"]
    assert answers_of(project)["package_name"] == "cafe_retro_vision"
    result = run_nox(project, "-s", "pipeline")
    assert result.returncode == 0, tail(result)

    artifacts = project / "artifacts"
    evaluation = json.loads((artifacts / "metrics" / "evaluation.json").read_text())
    # The bar the generated evaluation enforces; far above chance (1/11).
    assert evaluation["accuracy"] >= evaluation["min_accuracy"] >= 0.5
    assert evaluation["passed"] is True
    smoke = json.loads((artifacts / "serving" / "smoke.json").read_text())
    assert smoke["ok"] is True and smoke["errors"] == []
    assert smoke["sample"]["schema_valid"] is True
    assert all(bad["ok"] for bad in smoke["bad_requests"])
    drift = json.loads((artifacts / "monitoring" / "drift.json").read_text())
    production = drift["production"]["count"]
    assert production == smoke["predictions_answered"] > 0
    summary = (project / "reports" / "pipeline.md").read_text()
    assert "Café Rétro Vision" in summary
    assert f"over {production} production samples" in summary
    assert f"accuracy {evaluation['accuracy']:.3f}" in summary
    assert "MISSING" not in summary and "UNREADABLE" not in summary


def test_demo_session_runs_real_nox_checks_and_reports(projects, tmp_path):
    project = projects["four-owned-cicd"]
    plan = yaml.safe_load((project / "milestones.yml").read_text())
    initial = plan["milestones"]["initial"]
    # Cheap deliverables, one of each outcome: a real session that passes (lint),
    # a document nobody has written yet, and the generated shared items.
    initial["roles"] = {
        "cicd": [{"title": "Lint clean", "session": "lint"}],
        "data": [
            {
                "title": "Data design",
                "file": "data/DESIGN.md",
                "contains": ["## Ingest"],
            }
        ],
    }
    small = tmp_path / "milestones.yml"
    small.write_text(yaml.safe_dump(plan, sort_keys=False))
    result = run_nox(
        project,
        "-s",
        "demo",
        "--",
        "initial",
        "--milestones",
        str(small),
        "--at",
        "2027-04-08T04:01:00+00:00",
    )
    assert result.returncode != 0, tail(result)
    report = (project / "reports" / "initial.md").read_text()
    assert "| @gg-dev | Lint clean | `nox -s lint` | pass |" in report, report
    assert "| the whole team | Contract input sample (one JSON request) |" in report
    assert "`data/DESIGN.md` does not exist" in report
    assert "**FAIL**: 1 of 4 deliverables failed" in report
    assert "**LATE by 1 min**" in report
    assert (
        "Session lint was successful"
        in (project / "reports" / "initial" / "log-cicd-1.log").read_text()
    )
