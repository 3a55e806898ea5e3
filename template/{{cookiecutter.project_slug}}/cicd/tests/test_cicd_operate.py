"""The production loop's own logic: when to retrain, the stage record, the
report. The whole loop, with real servers, runs in the template's tests
(nox -s operate in a generated project)."""

import json

from cicd.operate.report import render
from cicd.operate.run import Options, Run
from cicd.operate.stages import StageRecord
from cicd.operate.trigger import MIN_LABELLED, retrain_reasons

EVALUATION = {"bar": 0.6, "baseline": {"accuracy": 0.1, "mae": 10.0}}


def online(value: float, labelled: int = 50, metric: str = "accuracy") -> dict:
    higher = metric == "accuracy"
    stage = {"predictions": 100, "labelled": labelled, metric: value}
    stages = {"production": stage}
    return {"metric": metric, "higher_is_better": higher, "stages": stages}


def test_the_schedule_retrains_and_alerts_say_why():
    assert retrain_reasons("schedule", {}, online(0.9), EVALUATION) == [
        "schedule: the daily retrain"
    ]
    assert retrain_reasons("alerts", {}, online(0.9), EVALUATION) == []
    drift = {"drifted": True, "drifted_checks": ["predictions psi"]}
    assert retrain_reasons("alerts", drift, online(0.9), EVALUATION) == [
        "drift alert: predictions psi"
    ]
    (alert,) = retrain_reasons("alerts", {}, online(0.5), EVALUATION)
    assert alert.startswith("quality alert: online accuracy 0.500 on 50 labelled")


def test_a_quality_alert_needs_enough_feedback_and_follows_the_metric():
    few = online(0.1, labelled=MIN_LABELLED - 1)
    assert retrain_reasons("alerts", {}, few, EVALUATION) == []
    # Regression: the bar is a share of the baseline's error (0.6 x 10 = 6).
    assert retrain_reasons("alerts", {}, online(5.0, metric="mae"), EVALUATION) == []
    (alert,) = retrain_reasons("alerts", {}, online(7.0, metric="mae"), EVALUATION)
    assert "limit 6.000" in alert
    # Classification, as training's gate: over the bar is not enough when the
    # majority class scores as much (quality.passes).
    lenient = {"bar": 0.3, "baseline": {"accuracy": 0.4}}
    (alert,) = retrain_reasons("alerts", {}, online(0.35), lenient)
    assert "limit 0.300, baseline 0.400" in alert
    assert retrain_reasons("alerts", {}, online(0.45), lenient) == []


def test_the_stage_record_keeps_models_by_content_and_every_change(tmp_path):
    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(b"weights")
    record = StageRecord.load(tmp_path / "operate" / "stages.json")
    entry = record.keep(checkpoint, origin="test")
    assert record.keep(checkpoint, origin="test") == entry  # kept once
    record.set("production", entry, "first deployment")
    record.set("canary", entry, "trial")
    record.clear("canary", "trial over")
    record.clear("canary", "already gone: no change")

    again = StageRecord.load(tmp_path / "operate" / "stages.json")
    assert set(again.stages) == {"production"}
    assert again.model("production").read_bytes() == b"weights"
    assert [event["why"] for event in again.history] == [
        "first deployment",
        "trial",
        "trial over",
    ]
    saved = json.loads((tmp_path / "operate" / "stages.json").read_text())
    assert saved["stages"]["production"]["sha256"] == entry["sha256"]


def test_the_report_says_what_happened(tmp_path):
    record = StageRecord(tmp_path / "stages.json")
    run = Run(Options(drill="shuffled-labels"))
    run.step("compare", "the candidate is not better")
    run.incidents.append("candidate rejected: not better on held-out data")
    run.outcome = "candidate rejected: production stays"
    run.online = online(0.875)
    run.comparison = {
        "metric": "accuracy",
        "dataset_version": "0123456789abcdef",
        "min_gain": 0.01,
        "better": False,
        "production": {"count": 40, "accuracy": 0.9, "passed": True},
        "candidate": {"count": 40, "accuracy": 0.1, "passed": False},
    }
    text = render(run, record)
    assert "**Outcome: candidate rejected: production stays.**" in text
    assert "drill shuffled-labels" in text
    assert "| production | all | 100 | 50 | 0.875 |" in text
    assert "| candidate | 40 | 0.100 | no |" in text
    assert "- candidate rejected: not better on held-out data" in text
    assert "No canary was tried." in text
