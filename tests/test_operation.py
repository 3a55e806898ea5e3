"""The generated project's production loop, run as a member runs it: `nox -s operate`.

Real `bentoml serve` processes for production and the canary, a compressed day
of production-like traffic with feedback, the online evaluation and the drift
check, retraining on the labelled production inputs, the comparison on held-out
data and the canary gate: every step is the rooms' own program. The text kind
trains in seconds, so the loop runs there; what it runs is the same for every
kind (the rooms see the problem through the shared package only).
"""

import hashlib
import json

import pytest
from conftest import KIND_SCENARIOS, run_nox, tail

pytestmark = pytest.mark.slow

SCENARIO = KIND_SCENARIOS["text-classification"]
# Compressed hours of 0.3 s: a day of traffic in about 7 s, the canary still
# answering more predictions than the gate needs (MIN_REQUESTS). A fixed seed:
# the same inputs and the same routing on every run, so the verdicts repeat.
FAST_DAY = ("--hour-seconds", "0.3", "--seed", "3")


def read(project, relative: str) -> dict:
    return json.loads((project / relative).read_text())


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_better_candidate_is_promoted_through_the_canary(projects):
    project = projects[SCENARIO]
    # A weak production model (one epoch) that retraining can beat.
    for args in (("-s", "data"), ("-s", "train", "--", "epochs=1")):
        result = run_nox(project, *args)
        assert result.returncode == 0, tail(result)
    weak = sha256(project / "artifacts" / "models" / "model.pt")

    result = run_nox(project, "-s", "operate", "--", *FAST_DAY)
    assert result.returncode == 0, tail(result)

    stages = read(project, "artifacts/operate/stages.json")
    comparison = read(project, "artifacts/metrics/comparison.json")
    assert comparison["better"] is True, comparison
    assert comparison["production"]["model"].endswith(f"{weak[:12]}.pt")
    gate = read(project, "artifacts/monitoring/canary-gate.json")
    assert gate["verdict"] == "promote", gate
    production = stages["stages"]["production"]
    assert production["origin"] == "retrained"
    assert production["model"] == comparison["candidate"]["model"]
    assert set(stages["stages"]) == {"production"}  # the trial is over
    # The candidate learned from the day's labelled production inputs.
    manifest = read(project, "artifacts/data/manifest.json")
    assert manifest["source"] == "labelled production"
    assert manifest["options"]["added"] > 0
    # Both stages answered live traffic and were scored from its feedback.
    online = read(project, "artifacts/monitoring/online.json")
    for stage in ("production", "canary"):
        assert online["stages"][stage]["labelled"] > 0, online
    report = (project / "reports" / "operation.md").read_text()
    assert "**Outcome: candidate promoted to production.**" in report
    assert "| canary | all |" in report
    assert "Verdict: **promote**." in report


def test_a_candidate_trained_on_shuffled_labels_is_rejected(projects):
    project = projects[SCENARIO]
    record = project / "artifacts" / "operate" / "stages.json"
    if not record.is_file():  # run on its own: a dataset and a model first
        for args in (("-s", "data"), ("-s", "train")):
            result = run_nox(project, *args)
            assert result.returncode == 0, tail(result)
    before = json.loads(record.read_text())["stages"] if record.is_file() else {}
    latest = project / "artifacts" / "models" / "model.pt"
    production_sha = before.get("production", {}).get("sha256") or sha256(latest)
    dataset = read(project, "artifacts/data/manifest.json")["version"]

    result = run_nox(
        project, "-s", "operate", "--", "--drill", "shuffled-labels", *FAST_DAY
    )
    assert result.returncode == 0, tail(result)

    comparison = read(project, "artifacts/metrics/comparison.json")
    assert comparison["better"] is False
    assert comparison["candidate"]["passed"] is False  # it learned nothing
    stages = read(project, "artifacts/operate/stages.json")
    assert stages["stages"]["production"]["sha256"] == production_sha  # it stays
    assert stages["history"][-1]["why"] == "rejected: not better on held-out data"
    # The drill leaves no trace: the dataset and the latest model are as before.
    assert read(project, "artifacts/data/manifest.json")["version"] == dataset
    assert sha256(latest) == production_sha
    report = (project / "reports" / "operation.md").read_text()
    assert "**Outcome: candidate rejected: production stays.**" in report
    assert "No canary was tried." in report
