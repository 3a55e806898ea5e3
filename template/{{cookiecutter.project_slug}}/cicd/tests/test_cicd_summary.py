"""The pipeline summary and the demo figures read every room's artifacts.

Evaluation documents have one shape per kind of model: a classifier's accuracy
against the majority class, a regressor's MAE against the mean predictor. Both
are read here whatever this project's task is.
"""

import json
from pathlib import Path

import pytest

from cicd import summary
from cicd.course import figures

CLASSIFIER_EVALUATION = {
    "task": "classification",
    "split": "evaluation",
    "count": 40,
    "metric": "accuracy",
    "higher_is_better": True,
    "bar": 0.6,
    "min_accuracy": 0.6,
    "passed": True,
    "baseline": {"name": "majority class", "prediction": "ant", "accuracy": 0.25},
    "accuracy": 0.8125,
    # A class absent from the evaluation split has no accuracy.
    "per_class_accuracy": {"ant": 0.9, "bee": 0.7, "cat": None},
    "dataset_version": "0123456789abcdef",
}
REGRESSION_EVALUATION = {
    "task": "regression",
    "split": "evaluation",
    "count": 40,
    "metric": "mae",
    "higher_is_better": False,
    "bar": 0.6,
    "passed": False,
    "baseline": {"name": "mean predictor", "prediction": 31.2, "mae": 8.0, "rmse": 10},
    "mae": 5.5,
    "rmse": 7.25,
    "dataset_version": "0123456789abcdef",
}


def history(metric: str) -> dict:
    epochs = [
        {
            "epoch": epoch,
            "train_loss": 2.0 / epoch,
            "val_loss": 2.2 / epoch,
            f"train_{metric}": 0.3 * epoch,
            f"val_{metric}": 0.28 * epoch,
        }
        for epoch in (1, 2, 3)
    ]
    return {
        "epochs": epochs,
        "cost": {"wall_time_s": 12.5, "device": "cpu", "samples_per_s": 800.0},
        "run_id": "abc123",
        "tracking": {"tracker": "W&B", "run_id": "abc123", "mode": "offline"},
    }


def online(metric: str) -> dict:
    """An online evaluation: production scored, the canary still unlabelled."""
    return {
        "metric": metric,
        "stages": {
            "canary": {"predictions": 3, "labelled": 0, metric: None},
            "production": {"predictions": 9, "labelled": 4, metric: 0.75},
        },
    }


def write_artifacts(root: Path, evaluation: dict, splits: dict) -> None:
    documents = {
        "data/manifest.json": {
            "splits": splits,
            "quarantined_count": 2,
            "version": "0123456789abcdef",
        },
        "metrics/training.json": history(evaluation["metric"]),
        "metrics/evaluation.json": evaluation,
        "serving/smoke.json": {
            "requests_sent": 5,
            "predictions_answered": 4,
            "feedback_sent": 2,
            "errors": [],
            "latency_ms": {"p50": 3.5, "p95": 9.1},
            "sample": {"prediction": "ant"},
        },
        "monitoring/drift.json": {"drifted": False, "production": {"count": 40}},
        "monitoring/online.json": online(evaluation["metric"]),
    }
    for name, document in documents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document))


def test_a_classifiers_evaluation_reads_accuracy_against_the_baseline():
    line = summary.evaluation_line(CLASSIFIER_EVALUATION)
    assert line == (
        "accuracy 0.812 passes the bar 0.60 (majority class baseline 0.250); "
        "weakest class bee 0.700"
    )


def test_a_regressors_evaluation_reads_mae_against_the_mean_predictor():
    line = summary.evaluation_line(REGRESSION_EVALUATION)
    assert line == (
        "MAE 5.500 FAILS the bar 0.60 x the mean predictor's MAE 8.000; RMSE 7.250"
    )


@pytest.mark.parametrize(
    ("evaluation", "splits", "expected"),
    [
        (
            CLASSIFIER_EVALUATION,
            {"training": {"ant": 30, "bee": 20}, "evaluation": {"ant": 5, "bee": 5}},
            "accuracy 0.812",
        ),
        (
            REGRESSION_EVALUATION,
            {"training": {"rows": 50}, "evaluation": {"rows": 10}},
            "MAE 5.500",
        ),
    ],
)
def test_summary_of_a_complete_pipeline(
    tmp_path, monkeypatch, evaluation, splits, expected
):
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path))
    write_artifacts(tmp_path, evaluation, splits)
    report, complete = summary.summarize()
    assert complete, report
    assert report.startswith(f"# {summary.PROJECT_NAME}: pipeline summary")
    assert "| data | training 50, evaluation 10; 2 quarantined;" in report
    assert expected in report
    assert "no drift over 40 production samples" in report
    assert "| serving | 5 requests, 4 predictions, 2 feedback, 0 errors" in report
    metric = evaluation["metric"]
    assert (
        f"| online | canary: no feedback yet on 0 labelled predictions; "
        f"production: {metric} 0.750 on 4 labelled predictions |"
    ) in report


def test_a_missing_or_reshaped_artifact_fails_the_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path))
    write_artifacts(tmp_path, REGRESSION_EVALUATION, {"training": {"rows": 5}})
    (tmp_path / "monitoring" / "drift.json").unlink()
    reshaped = {**REGRESSION_EVALUATION, "metric": "accuracy"}
    (tmp_path / "metrics" / "evaluation.json").write_text(json.dumps(reshaped))
    report, complete = summary.summarize()
    assert not complete
    assert "| evaluation | UNREADABLE:" in report
    assert "| monitoring | MISSING:" in report


@pytest.mark.parametrize("evaluation", [CLASSIFIER_EVALUATION, REGRESSION_EVALUATION])
def test_figures_of_either_kind_of_model(tmp_path, monkeypatch, evaluation):
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path))
    write_artifacts(tmp_path, evaluation, {"training": {"rows": 5}})
    for name in figures.FIGURES:
        png, reason = figures.draw(name, tmp_path / "figures")
        assert png is not None, reason
        assert png.read_bytes().startswith(b"\x89PNG")


def test_a_reshaped_evaluation_gives_a_reason_instead_of_a_figure(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path))
    write_artifacts(tmp_path, {"metric": "mae"}, {"training": {"rows": 5}})
    png, reason = figures.draw("per-class-accuracy", tmp_path / "figures")
    assert png is None
    assert "evaluation.json has an unexpected shape" in reason
