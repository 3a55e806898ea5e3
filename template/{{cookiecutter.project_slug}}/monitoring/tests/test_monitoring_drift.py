"""`python -m monitoring.drift` on synthetic references and prediction logs.

The drift check knows no problem: feature names and labels come from the
reference, and a reference with class shares is a classifier's, one with
predicted values a regression model's. Both shapes are tested here whatever
this project's task is, with made-up features and labels.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import local_servers, paths
from {{ cookiecutter.package_name }}.object_store import ObjectStore

import monitoring.drift as drift

CLASSIFIER, REGRESSION = "classifier", "regression"
KINDS = (CLASSIFIER, REGRESSION)
FEATURES = ("level", "spread", "follows_level", "independent")
LABELS = ("ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen")
# The shares of predicted classes in both the reference and undrifted traffic:
# uneven, from about 8% to 17%, as real class mixes are.
CLASS_WEIGHTS = np.linspace(1.0, 2.0, len(LABELS))
CLASS_SHARES = CLASS_WEIGHTS / CLASS_WEIGHTS.sum()


def sample_features(
    rng: np.random.Generator, count: int, level_shift: float = 0.0
) -> dict[str, np.ndarray]:
    """Four numeric input statistics; a shift moves two of them."""
    level = rng.normal(0.45 + level_shift, 0.1, count)
    return {
        "level": level,
        "spread": rng.gamma(4.0, 0.05, count),
        "follows_level": level + rng.normal(0.05, 0.05, count),
        "independent": rng.normal(0.0, 1.0, count),
    }


def sample_outputs(
    rng: np.random.Generator, kind: str, count: int, value_shift: float = 0.0
) -> dict[str, np.ndarray]:
    """A classifier's labels and top-1 probabilities, or predicted values."""
    if kind == CLASSIFIER:
        return {
            "labels": rng.choice(len(LABELS), size=count, p=CLASS_SHARES),
            "confidence": rng.beta(6.0, 2.0, count),
        }
    return {"values": rng.normal(30.0 + value_shift, 8.0, count)}


def write_reference(path: Path, kind: str, count: int = 2000, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    features = sample_features(rng, count)
    outputs = sample_outputs(rng, kind, count)
    document = {
        "task": kind,
        "source": "synthetic",
        "dataset_version": "test",
        "count": count,
        "features": {name: values.tolist() for name, values in features.items()},
    }
    if kind == CLASSIFIER:
        document["predictions"] = dict(zip(LABELS, CLASS_SHARES.tolist(), strict=True))
        document["confidence"] = outputs["confidence"].tolist()
    else:
        document["values"] = outputs["values"].tolist()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def log_line(kind: str, index: int, features: dict, outputs: dict, collapse_to=None):
    record: dict[str, object] = {
        "time": f"2025-04-01T12:{index // 60 % 60:02d}:{index % 60:02d}Z",
        "features": {name: float(values[index]) for name, values in features.items()},
    }
    if kind == CLASSIFIER:
        record["prediction"] = collapse_to or LABELS[outputs["labels"][index]]
        record["probability"] = float(outputs["confidence"][index])
    else:
        record["prediction"] = float(outputs["values"][index])
    return json.dumps(record)


def write_log(
    path: Path,
    kind: str,
    count: int,
    *,
    seed: int = 2,
    level_shift: float = 0.0,
    value_shift: float = 0.0,
    collapse_to: str | None = None,
    extra_lines: tuple[str, ...] = (),
) -> Path:
    rng = np.random.default_rng(seed)
    features = sample_features(rng, count, level_shift)
    outputs = sample_outputs(rng, kind, count, value_shift)
    lines = [
        log_line(kind, index, features, outputs, collapse_to) for index in range(count)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*lines, *extra_lines]) + "\n", encoding="utf-8")
    return path


def run(tmp_path: Path, *extra: str) -> tuple[int, dict | None]:
    out = tmp_path / "drift.json"
    status = drift.main(
        [
            "--reference",
            str(tmp_path / "reference.json"),
            "--production",
            str(tmp_path / "predictions.jsonl"),
            "--out",
            str(out),
            *extra,
        ]
    )
    report = json.loads(out.read_text()) if out.exists() else None
    return status, report


def drifted_subjects(report: dict) -> set[str]:
    return {check["subject"] for check in report["checks"] if check["drifted"]}


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    return request.param


@pytest.fixture
def reference(tmp_path: Path, kind: str) -> Path:
    return write_reference(tmp_path / "reference.json", kind)


def test_traffic_from_the_reference_distribution_is_not_drift(
    tmp_path, kind, reference
):
    write_log(tmp_path / "predictions.jsonl", kind, 500)
    status, report = run(tmp_path)
    assert status == 0
    assert report["drifted"] is False
    assert report["drifted_checks"] == []
    assert report["task"] == kind
    assert report["production"]["count"] == 500
    assert report["reference"]["count"] == 2000
    outputs = {"predictions", "confidence"} if kind == CLASSIFIER else {"predictions"}
    assert {check["subject"] for check in report["checks"]} == {*FEATURES, *outputs}
    for check in report["checks"]:
        assert check["value"] <= check["threshold"], check


def test_a_few_undrifted_records_do_not_raise_an_alarm(tmp_path, kind, reference):
    # 40 records: the noise floor, not the minimum effect, sets the thresholds.
    write_log(tmp_path / "predictions.jsonl", kind, 40, seed=5)
    status, report = run(tmp_path)
    assert status == 0
    assert report["drifted"] is False
    psi = next(c for c in report["checks"] if c["subject"] == "predictions")
    assert psi["threshold"] > 0.15


def test_shifted_inputs_drift_the_input_features(tmp_path, kind, reference):
    write_log(tmp_path / "predictions.jsonl", kind, 300, level_shift=0.3)
    status, report = run(tmp_path)
    assert status == 0
    assert report["drifted"] is True
    # Only the inputs that moved: not the others, nor the predictions.
    assert drifted_subjects(report) == {"level", "follows_level"}
    level = next(c for c in report["checks"] if c["subject"] == "level")
    assert level["details"]["production_mean"] > 0.7


def test_predictions_collapsing_to_one_class_is_drift(tmp_path, capsys):
    write_reference(tmp_path / "reference.json", CLASSIFIER)
    write_log(tmp_path / "predictions.jsonl", CLASSIFIER, 200, collapse_to="cat")
    status, report = run(tmp_path)
    assert status == 0
    assert drifted_subjects(report) == {"predictions"}
    tvd = next(c for c in report["checks"] if c["statistic"] == "total_variation")
    assert tvd["details"]["production_top_class"] == "cat"
    assert tvd["details"]["production_top_share"] == 1.0
    table = capsys.readouterr().out
    assert "predictions    total_variation" in table
    assert "DRIFT in predictions total_variation, predictions psi" in table


def test_shifted_predicted_values_are_drift(tmp_path, capsys):
    write_reference(tmp_path / "reference.json", REGRESSION)
    # Same inputs, predictions one standard deviation higher.
    write_log(tmp_path / "predictions.jsonl", REGRESSION, 300, value_shift=8.0)
    status, report = run(tmp_path)
    assert status == 0
    assert drifted_subjects(report) == {"predictions"}
    ks = next(c for c in report["checks"] if c["subject"] == "predictions")
    assert ks["statistic"] == "ks"
    assert ks["details"]["production_mean"] > ks["details"]["reference_mean"] + 6
    assert "DRIFT in predictions ks, predictions psi" in capsys.readouterr().out


def test_fail_on_drift_sets_the_exit_code(tmp_path, kind, reference):
    write_log(tmp_path / "predictions.jsonl", kind, 200, level_shift=0.3)
    assert run(tmp_path, "--fail-on-drift")[0] == 1
    write_log(tmp_path / "predictions.jsonl", kind, 200)
    assert run(tmp_path, "--fail-on-drift")[0] == 0


def test_bad_lines_are_skipped_counted_and_reported(tmp_path, kind, reference, capsys):
    features = {name: 0.5 for name in FEATURES}
    wrong_prediction = (
        {"prediction": "Pizza", "probability": 0.9, "features": features}
        if kind == CLASSIFIER
        else {"prediction": "Pizza", "features": features}
    )
    bad = (
        "{not json",
        json.dumps(wrong_prediction),
        json.dumps({"prediction": "ant", "probability": 0.9, "features": {"level": 1}}),
        json.dumps({"prediction": 3.0, "probability": 7, "features": []}),
        "[]",
        "",
    )
    write_log(tmp_path / "predictions.jsonl", kind, 100, extra_lines=bad)
    status, report = run(tmp_path)
    assert status == 0
    assert report["production"]["count"] == 100
    assert report["production"]["skipped_lines"] == 5
    warning = capsys.readouterr().err
    assert "skipped 5 bad line(s)" in warning
    assert "line 101" in warning
    reason = "a reference class" if kind == CLASSIFIER else "a finite number"
    assert f"'Pizza' is not {reason}" in warning


def test_missing_reference_exits_2(tmp_path, capsys):
    write_log(tmp_path / "predictions.jsonl", REGRESSION, 100)
    assert run(tmp_path) == (2, None)
    assert "training reference not found" in capsys.readouterr().err


def test_missing_prediction_log_exits_2(tmp_path, reference, capsys):
    assert run(tmp_path) == (2, None)
    assert "prediction log not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{truncated", "is unreadable"),
        ("[1, 2]", "is not a JSON object"),
        (json.dumps({"features": {}}), "'features' must map feature names"),
        (json.dumps({"features": {"level": ["x"]}}), "features.level holds"),
        (json.dumps({"features": {"level": [0.5]}}), "holds neither 'predictions'"),
        (
            json.dumps({"features": {"level": [0.5]}, "values": [1, None]}),
            "values must be a flat list of finite numbers",
        ),
        (
            json.dumps({"features": {"level": [0.5]}, "predictions": {"ant": -1}}),
            "shares must be non-negative",
        ),
    ],
)
def test_unusable_reference_exits_2(tmp_path, capsys, content, message):
    (tmp_path / "reference.json").write_text(content)
    write_log(tmp_path / "predictions.jsonl", CLASSIFIER, 100)
    assert run(tmp_path) == (2, None)
    assert message in capsys.readouterr().err


def test_too_few_records_exits_2(tmp_path, kind, reference, capsys):
    write_log(tmp_path / "predictions.jsonl", kind, 29, extra_lines=("oops",))
    assert run(tmp_path) == (2, None)
    error = capsys.readouterr().err
    assert "only 29 usable production record(s)" in error
    assert "1 bad line(s) skipped" in error
    assert "at least 30" in error
    assert run(tmp_path, "--min-samples", "20")[0] == 0
    with pytest.raises(SystemExit):
        run(tmp_path, "--min-samples", "0")
    assert "--min-samples must be at least 1" in capsys.readouterr().err


def test_default_paths_and_the_service_scrape(tmp_path, monkeypatch):
    """Without options it reads and writes under $ARTIFACTS_DIR, as nox runs it."""
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path))
    monkeypatch.delenv("PREDICTION_LOG", raising=False)
    write_reference(paths.reference_path(), CLASSIFIER)
    write_log(paths.prediction_log_path(), CLASSIFIER, 100)
    scrape = tmp_path / "serving" / "metrics.prom"
    scrape.parent.mkdir()
    scrape.write_text('predictions_total{predicted_class="eel"} 3.0\n')

    assert drift.main([]) == 0
    report = json.loads((paths.monitoring_dir() / "drift.json").read_text())
    assert report["production"]["path"] == str(paths.prediction_log_path())
    assert report["service_metrics"]["predictions_per_class"] == {"eel": 3.0}


def test_runs_as_a_module(tmp_path):
    reference = write_reference(tmp_path / "reference.json", REGRESSION)
    write_log(tmp_path / "predictions.jsonl", REGRESSION, 200, value_shift=10.0)
    root = Path(drift.__file__).resolve().parent.parent
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitoring.drift",
            "--reference",
            str(reference),
            "--production",
            str(tmp_path / "predictions.jsonl"),
            "--out",
            str(tmp_path / "drift.json"),
            "--fail-on-drift",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "ARTIFACTS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Overall: DRIFT" in result.stdout


# The prediction log the service's shipper stored (serving/log_shipping.py), read
# back from a real S3 server on loopback (`rclone serve s3`).
STORE_CREDENTIALS = ("stored-log-access", "stored-log-secret-key")
STORE_BUCKET = "proj-data"
SHIPPED = f"s3://{STORE_BUCKET}/predictions/production/"


def test_the_drift_check_reads_every_shipped_piece_of_one_stage(
    tmp_path, monkeypatch, capsys
):
    reference = write_reference(tmp_path / "reference.json", CLASSIFIER)
    lines = write_log(tmp_path / "whole.jsonl", CLASSIFIER, 400).read_bytes()
    lines = lines.splitlines(keepends=True)
    root = tmp_path / "store"
    (root / STORE_BUCKET).mkdir(parents=True)
    with local_servers.s3(root, STORE_CREDENTIALS) as address:
        for variable, value in local_servers.s3_settings(
            address, STORE_CREDENTIALS, STORE_BUCKET
        ).items():
            monkeypatch.setenv(variable, value)
        store = ObjectStore.from_env()
        # Two pieces as the shipper names them, and another stage's.
        pieces = {
            "production/2027-03-01/20270301T100000000000Z-a": lines[:150],
            "production/2027-03-01/20270301T110000000000Z-a": lines[150:],
            "canary/2027-03-01/20270301T100000000000Z-b": lines[:40],
        }
        for name, part in pieces.items():
            piece = tmp_path / "piece.jsonl"
            piece.write_bytes(b"".join(part))
            store.upload(piece, f"predictions/{name}.jsonl")
        out = tmp_path / "drift.json"
        common = ["--reference", str(reference), "--out", str(out)]
        assert drift.main([*common, "--production", SHIPPED]) == 0
        report = json.loads(out.read_text())
        assert report["production"]["count"] == 400  # both pieces, no canary line
        assert report["drifted"] is False

        capsys.readouterr()
        nowhere = f"s3://{STORE_BUCKET}/predictions/nowhere/"
        assert drift.main([*common, "--production", nowhere]) == 2
        assert "no prediction log under" in capsys.readouterr().err
    assert drift.main([*common, "--production", SHIPPED]) == 2  # the store is gone
    assert "reading s3://" in capsys.readouterr().err


def test_a_stored_log_names_its_bucket(tmp_path, capsys):
    reference = write_reference(tmp_path / "reference.json", CLASSIFIER)
    arguments = ["--reference", str(reference), "--production", "s3:///predictions"]
    assert drift.main([*arguments, "--out", str(Path(tmp_path, "d.json"))]) == 2
    assert "names no bucket" in capsys.readouterr().err
