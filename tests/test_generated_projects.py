"""The generated projects' own checks: their tests, their lint, their pipeline.

These run the rendered project's noxfile exactly as a member would. Room
environments are shared between renderings (ROOM_ENVS_DIR), so the heavy
dependencies are installed once per machine, not once per rendering.

What runs where, to pay once for each thing that can differ:
- each problem kind's whole generated suite (slow tests included) runs once, in
  the scenario that renders the kind with default team answers; the cicd room,
  the same code for every kind, only in the default kind's;
- the other scenarios differ from those in team answers only (name, members,
  owners, dates). They run what those answers reach: lint, the cicd room and the
  shared package's tests, and every room's test collection, which imports every
  room module under the scenario's package name; the one that answers
  tracker=mlflow also runs the training tests that answer changes;
- each kind's pipeline runs end to end once (the image kind's on the accented
  name, so derived names go all the way from data to the served model).
"""

import json
import re

import pytest
import yaml
from conftest import (
    KIND_SCENARIOS,
    MLFLOW_SCENARIO,
    ROOMS,
    SCENARIOS,
    answers_of,
    run_nox,
    tail,
    task_of,
)

# Each test renders nothing of its own (the session's `projects`): each may run
# on any pytest-xdist worker, and these are most of the suite's time.
pytestmark = [pytest.mark.slow, pytest.mark.alone]

WHOLE_SUITE = tuple(KIND_SCENARIOS.values())
TEAM_VARIANTS = tuple(name for name in SCENARIOS if name not in WHOLE_SUITE)
# task -> the scenario its pipeline runs in. The image kind's is the accented name
# with a shared cicd role (package cafe_retro_vision): derived names must work all
# the way from data to the served model.
PIPELINES = {
    **KIND_SCENARIOS,
    "image-classification": "three-shared-cicd-accents",
}
# Asks the generated `nox -s tests` for its slow tests too (benchmarks, real servers
# under load), which it skips by default.
SLOW_TOO = "--slow"
# Slow tests whose outcome does not hang on the task kind run in the default kind's
# whole suite only: the serving benchmark (a minute per kind; every kind's model
# variants are served and checked by the serving room's other tests), the room
# environments' shared PyTorch install, and the labelling tests against a real
# Label Studio (its API calls are the same for every kind, and a new server
# migrates its database for 45 s; each kind's tasks and interface are checked by
# the data room's other tests).
KIND_NEUTRAL_SLOW = (
    "test_the_benchmark_measures_every_option_and_writes_the_table",
    "test_rooms_that_need_torch_share_one_install",
    "test_data_label_studio",
)
DEFAULT_KIND_SCENARIO = KIND_SCENARIOS["image-classification"]


# The rooms whose code and tests reach the problem's kind. The cicd room's are
# the same for every kind (tests/test_room_neutrality.py): its tests run in the
# default kind's whole suite and in every team variant, not again per kind.
KIND_ROOMS = ("data", "training", "serving", "monitoring", "shared")


def whole_suite_selection(scenario: str) -> list[str]:
    if scenario == DEFAULT_KIND_SCENARIO:
        return [SLOW_TOO]
    neutral = " and ".join(f"not {name}" for name in KIND_NEUTRAL_SLOW)
    return [*KIND_ROOMS, SLOW_TOO, "-k", neutral]


@pytest.mark.parametrize("scenario", WHOLE_SUITE)
def test_each_kind_passes_its_whole_generated_suite(projects, scenario):
    selection = whole_suite_selection(scenario)
    result = run_nox(projects[scenario], "-s", "tests", "--", *selection)
    assert result.returncode == 0, tail(result)
    output = result.stdout + result.stderr
    ran = ROOMS if scenario == DEFAULT_KIND_SCENARIO else KIND_ROOMS
    for room in (room for room in ROOMS if room in ran):
        assert f"pytest {room}/tests" in output, f"the {room} tests did not run"
    assert "pytest tests" in output, "the shared package's tests did not run"
    assert " failed" not in output
    # The alert rules' unit tests ran under promtool, not skipped for want of it.
    assert re.search(r"test_monitoring_promtool\.py \.+\s", output), tail(result)
    if scenario == DEFAULT_KIND_SCENARIO:
        # The manifests were rendered with a real kubectl, not skipped for want of it.
        assert re.search(r"test_cicd_manifests\.py \.+\s", output), tail(result)
        # The labelling tests talked to a real Label Studio, not skipped for want of it.
        assert re.search(r"test_data_label_studio\.py \.+\s", output), tail(result)


@pytest.mark.parametrize("scenario", TEAM_VARIANTS)
def test_team_answers_pass_the_tests_they_reach(projects, scenario):
    project = projects[scenario]
    reached = run_nox(project, "-s", "tests", "--", "cicd", "shared")
    assert reached.returncode == 0, tail(reached)
    output = reached.stdout + reached.stderr
    assert "pytest cicd/tests" in output and "pytest tests" in output
    assert " failed" not in output
    if SCENARIOS[scenario].get("host_app_image"):
        # Its manifests validated with the rest, and its own tests ran.
        assert re.search(r"test_cicd_host_app\.py \.\.", output), tail(reached)
    collected = run_nox(project, "-s", "tests", "--", "--collect-only", "-q")
    assert collected.returncode == 0, tail(collected)
    output = collected.stdout + collected.stderr
    for room in ROOMS:
        assert f"pytest {room}/tests" in output, f"the {room} tests were not collected"
    assert " error" not in output.lower()


def test_the_mlflow_tracker_passes_its_training_tests(projects):
    """The tracker answer changes the training room's tracking and config: those
    tests run against a real `mlflow server` whose artifacts go to a local S3
    server. The rest of the room's code is the default scenario's, whose whole
    suite runs above, and its modules are imported by the collection below."""
    selected = ("-k", "mlflow or config")
    result = run_nox(
        projects[MLFLOW_SCENARIO], "-s", "tests", "--", "training", *selected
    )
    assert result.returncode == 0, tail(result)
    output = result.stdout + result.stderr
    assert "test_training_mlflow.py ....." in output
    assert "test_training_config.py ...." in output
    assert "test_training_wandb" not in output and " failed" not in output


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_generated_lint_session_passes(projects, scenario):
    result = run_nox(projects[scenario], "-s", "lint")
    assert result.returncode == 0, tail(result)


def assert_clears_its_bar(evaluation: dict) -> None:
    """The kind's own quality bar, against the model-free baseline.

    Classification: accuracy at least the bar (far above chance) and above the
    majority class. Regression: mean absolute error at most the bar times the
    mean predictor's.
    """
    metric, bar, baseline = (
        evaluation["metric"],
        evaluation["bar"],
        evaluation["baseline"],
    )
    value = evaluation[metric]
    if evaluation["higher_is_better"]:
        assert metric == "accuracy"
        assert evaluation["min_accuracy"] == bar >= 0.5
        assert value >= bar, evaluation
        assert value > baseline["accuracy"], evaluation
    else:
        assert metric == "mae"
        assert 0 < bar < 1
        assert value <= bar * baseline["mae"], evaluation


@pytest.mark.parametrize("task", PIPELINES)
def test_pipeline_runs_end_to_end(projects, task):
    project = projects[PIPELINES[task]]
    assert task_of(PIPELINES[task]) == task
    result = run_nox(project, "-s", "pipeline")
    assert result.returncode == 0, tail(result)

    artifacts = project / "artifacts"
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    assert manifest["task"] == task
    evaluation = json.loads((artifacts / "metrics" / "evaluation.json").read_text())
    assert evaluation["task"] == task
    assert evaluation["passed"] is True
    assert_clears_its_bar(evaluation)
    smoke = json.loads((artifacts / "serving" / "smoke.json").read_text())
    assert smoke["ok"] is True and smoke["errors"] == []
    assert smoke["sample"]["schema_valid"] is True
    assert smoke["bad_requests"] and all(bad["ok"] for bad in smoke["bad_requests"])
    drift = json.loads((artifacts / "monitoring" / "drift.json").read_text())
    production = drift["production"]["count"]
    assert production == smoke["predictions_answered"] > 0
    summary = (project / "reports" / "pipeline.md").read_text()
    assert answers_of(project)["project_name"] in summary
    assert f"over {production} production samples" in summary
    metric = evaluation["metric"]
    # "accuracy 0.960", "MAE 3.665": the metric's name as the summary writes it.
    assert f"{metric} {evaluation[metric]:.3f}".lower() in summary.lower()
    # Half the served traffic got its true answer back through POST /feedback;
    # the online evaluation scored exactly those predictions.
    online = json.loads((artifacts / "monitoring" / "online.json").read_text())
    assert smoke["feedback_sent"] > 0
    assert online["stages"]["local"]["labelled"] == smoke["feedback_sent"]
    assert online["stages"]["local"][metric] is not None
    assert "| online | local: " in summary
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
