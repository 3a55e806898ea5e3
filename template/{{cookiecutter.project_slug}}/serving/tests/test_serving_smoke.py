"""`python -m serving.smoke` against a real server, with its own artifacts."""

import json

from PIL import Image

from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS


def test_smoke_check_passes_and_writes_its_report(served, photo, tmp_path):
    # The model comes from the session's store; dataset and outputs are fresh.
    artifacts = tmp_path / "artifacts"
    for folder in CLASS_FOLDERS[:3]:
        images = artifacts / "data" / "dataset" / "evaluation" / folder
        images.mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (80, 80), (40 * i, 90, 160)).save(images / f"{i}.jpg")
    sample = tmp_path / "input.sample.json"
    sample.write_bytes(photo())
    log = tmp_path / "predictions.jsonl"

    result = served.run(
        *("-m", "serving.smoke", "--images", "5", "--sample", str(sample)),
        ARTIFACTS_DIR=str(artifacts),
        PREDICTION_LOG=str(log),
    )
    assert result.returncode == 0, result.stdout + result.stderr

    report = json.loads((artifacts / "serving" / "smoke.json").read_text())
    assert report["ok"] is True
    assert report["errors"] == []
    assert report["predictions_answered"] == 7  # sample, 5 images, final probe
    assert report["sample"]["schema_valid"] is True
    assert all(bad["ok"] for bad in report["bad_requests"])
    assert report["metrics_scraped"] is True
    assert report["latency_ms"]["p50"] > 0
    assert "predictions_total" in (artifacts / "serving" / "metrics.prom").read_text()
    assert len(log.read_text().splitlines()) == 7


def test_smoke_check_fails_clearly_when_the_server_cannot_start(fresh_folders):
    # An empty model store: bentoml serve exits, and the report says why.
    result = fresh_folders.run("-m", "serving.smoke", "--images", "0")
    assert result.returncode == 1
    assert "could not be found" in result.stderr
    assert "python -m serving.package" in result.stderr
    report_path = fresh_folders.artifacts / "serving" / "smoke.json"
    report = json.loads(report_path.read_text())
    assert report["ok"] is False
    assert report["requests_sent"] == 0
