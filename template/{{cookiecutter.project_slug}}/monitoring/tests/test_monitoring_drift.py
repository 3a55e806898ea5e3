"""`python -m monitoring.drift` on synthetic references and prediction logs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.features import FEATURE_NAMES
from {{ cookiecutter.package_name }}.labels import LABELS

import monitoring.drift as drift

# The shares of predicted classes in both the reference and undrifted traffic:
# uneven, from about 6% to 12%, as real class mixes are.
CLASS_WEIGHTS = np.linspace(1.0, 2.0, len(LABELS))
CLASS_SHARES = CLASS_WEIGHTS / CLASS_WEIGHTS.sum()


def sample_features(
    rng: np.random.Generator, count: int, brightness_shift: float = 0.0
) -> dict[str, np.ndarray]:
    """Image statistics like those of food photos; a shift makes them brighter."""
    brightness = np.clip(rng.normal(0.45 + brightness_shift, 0.1, count), 0, 1)
    return {
        "brightness": brightness,
        "contrast": rng.gamma(4.0, 0.05, count),
        "red": np.clip(brightness + rng.normal(0.05, 0.05, count), 0, 1),
        "green": np.clip(brightness + rng.normal(0.0, 0.05, count), 0, 1),
        "blue": np.clip(brightness + rng.normal(-0.05, 0.05, count), 0, 1),
    }


def write_reference(path: Path, count: int = 2000, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    features = sample_features(rng, count)
    document = {
        "source": "synthetic",
        "dataset_version": "test",
        "count": count,
        "features": {name: values.tolist() for name, values in features.items()},
        "predictions": dict(zip(LABELS, CLASS_SHARES.tolist(), strict=True)),
        "confidence": rng.beta(6.0, 2.0, count).tolist(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_log(
    path: Path,
    count: int,
    *,
    seed: int = 2,
    brightness_shift: float = 0.0,
    collapse_to: str | None = None,
    extra_lines: tuple[str, ...] = (),
) -> Path:
    rng = np.random.default_rng(seed)
    features = sample_features(rng, count, brightness_shift)
    labels = rng.choice(len(LABELS), size=count, p=CLASS_SHARES)
    confidence = rng.beta(6.0, 2.0, count)
    lines = [
        json.dumps(
            {
                "time": f"2025-04-01T12:{index // 60 % 60:02d}:{index % 60:02d}Z",
                "prediction": collapse_to or LABELS[labels[index]],
                "probability": float(confidence[index]),
                "features": {name: float(features[name][index]) for name in features},
            }
        )
        for index in range(count)
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


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    return write_reference(tmp_path / "reference.json")


def test_traffic_from_the_reference_distribution_is_not_drift(tmp_path, reference):
    write_log(tmp_path / "predictions.jsonl", 500)
    status, report = run(tmp_path)
    assert status == 0
    assert report["drifted"] is False
    assert report["drifted_checks"] == []
    assert report["production"]["count"] == 500
    assert report["reference"]["count"] == 2000
    subjects = {check["subject"] for check in report["checks"]}
    assert subjects == {*FEATURE_NAMES, "predictions", "confidence"}
    for check in report["checks"]:
        assert check["value"] <= check["threshold"], check


def test_a_few_undrifted_records_do_not_raise_an_alarm(tmp_path, reference):
    # 40 records: the noise floor, not the minimum effect, sets the thresholds.
    write_log(tmp_path / "predictions.jsonl", 40, seed=5)
    status, report = run(tmp_path)
    assert status == 0
    assert report["drifted"] is False
    psi_check = next(c for c in report["checks"] if c["subject"] == "predictions")
    assert psi_check["threshold"] > 0.15


def test_much_brighter_images_drift_the_input_features(tmp_path, reference):
    write_log(tmp_path / "predictions.jsonl", 300, brightness_shift=0.3)
    status, report = run(tmp_path)
    assert status == 0
    assert report["drifted"] is True
    assert {"brightness", "red", "green", "blue"} <= drifted_subjects(report)
    # Only the inputs moved: the class mix and confidence did not.
    assert not drifted_subjects(report) & {"predictions", "confidence", "contrast"}
    brightness = next(c for c in report["checks"] if c["subject"] == "brightness")
    assert brightness["details"]["production_mean"] > 0.7


def test_predictions_collapsing_to_one_class_is_drift(tmp_path, reference, capsys):
    write_log(tmp_path / "predictions.jsonl", 200, collapse_to="Soup")
    status, report = run(tmp_path)
    assert status == 0
    assert drifted_subjects(report) == {"predictions"}
    tvd = next(c for c in report["checks"] if c["statistic"] == "total_variation")
    assert tvd["details"]["production_top_class"] == "Soup"
    assert tvd["details"]["production_top_share"] == 1.0
    table = capsys.readouterr().out
    assert "predictions  total_variation" in table
    assert "DRIFT in predictions total_variation, predictions psi" in table


def test_fail_on_drift_sets_the_exit_code(tmp_path, reference):
    write_log(tmp_path / "predictions.jsonl", 200, collapse_to="Rice")
    assert run(tmp_path, "--fail-on-drift")[0] == 1
    write_log(tmp_path / "predictions.jsonl", 200)
    assert run(tmp_path, "--fail-on-drift")[0] == 0


def test_bad_lines_are_skipped_counted_and_reported(tmp_path, reference, capsys):
    bad = (
        "{not json",
        json.dumps({"prediction": "Pizza", "probability": 0.9, "features": {}}),
        json.dumps({"prediction": "Egg", "probability": 0.9, "features": {"red": 1}}),
        json.dumps({"prediction": "Egg", "probability": 7, "features": {}}),
        "[]",
        "",
    )
    write_log(tmp_path / "predictions.jsonl", 100, extra_lines=bad)
    status, report = run(tmp_path)
    assert status == 0
    assert report["production"]["count"] == 100
    assert report["production"]["skipped_lines"] == 5
    warning = capsys.readouterr().err
    assert "skipped 5 bad line(s)" in warning
    assert "line 101" in warning
    assert "'Pizza' is not a shared label" in warning


def test_missing_reference_exits_2(tmp_path, capsys):
    write_log(tmp_path / "predictions.jsonl", 100)
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
        (json.dumps({"features": {"brightness": [0.5]}}), "'features' lacks contrast"),
    ],
)
def test_unusable_reference_exits_2(tmp_path, capsys, content, message):
    (tmp_path / "reference.json").write_text(content)
    write_log(tmp_path / "predictions.jsonl", 100)
    assert run(tmp_path) == (2, None)
    assert message in capsys.readouterr().err


def test_reference_with_an_unknown_class_exits_2(tmp_path, reference, capsys):
    document = json.loads(reference.read_text())
    document["predictions"]["Pizza"] = 0.1
    reference.write_text(json.dumps(document))
    write_log(tmp_path / "predictions.jsonl", 100)
    assert run(tmp_path) == (2, None)
    assert "not shared labels: ['Pizza']" in capsys.readouterr().err


def test_too_few_records_exits_2(tmp_path, reference, capsys):
    write_log(tmp_path / "predictions.jsonl", 29, extra_lines=("oops",))
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
    write_reference(paths.reference_path())
    write_log(paths.prediction_log_path(), 100)
    scrape = tmp_path / "serving" / "metrics.prom"
    scrape.parent.mkdir()
    scrape.write_text('predictions_total{predicted_class="Egg"} 3.0\n')

    assert drift.main([]) == 0
    report = json.loads((paths.monitoring_dir() / "drift.json").read_text())
    assert report["production"]["path"] == str(paths.prediction_log_path())
    assert report["service_metrics"]["predictions_per_class"] == {"Egg": 3.0}


def test_runs_as_a_module(tmp_path, reference):
    write_log(tmp_path / "predictions.jsonl", 200, collapse_to="Egg")
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
