"""`python -m serving.check` against a real server, with its own artifacts."""

import json

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.spec import Example

from serving.check.bad_requests import bad_requests
from serving.check.smoke import evenly_spaced


def read_contract(name: str):
    return json.loads((paths.contracts_dir() / name).read_text())


def test_smoke_check_passes_and_writes_its_report(
    served, synthetic, write_dataset, tmp_path
):
    # The model comes from the session's store; dataset and outputs are fresh.
    artifacts = tmp_path / "artifacts"
    write_dataset(artifacts, ("evaluation",))
    sample = tmp_path / "input.sample.json"
    sample.write_bytes(synthetic.body())
    log = tmp_path / "predictions.jsonl"

    result = served.run(
        *("-m", "serving.check", "--examples", "5", "--sample", str(sample)),
        ARTIFACTS_DIR=str(artifacts),
        PREDICTION_LOG=str(log),
    )
    assert result.returncode == 0, result.stdout + result.stderr

    report = json.loads((artifacts / "serving" / "smoke.json").read_text())
    assert report["ok"] is True
    assert report["errors"] == []
    assert report["predictions_answered"] == 7  # sample, 5 examples, final probe
    assert report["sample"]["schema_valid"] is True
    expected = read_contract("output.sample.json")["prediction"]
    assert report["sample"]["expected"] == expected
    schema = read_contract("input.schema.json")
    sent = bad_requests(schema, problem.MAX_REQUEST_BYTES)
    assert [bad["kind"] for bad in report["bad_requests"]] == [b.kind for b in sent]
    assert all(bad["ok"] for bad in report["bad_requests"])
    assert report["metrics_scraped"] is True
    if synthetic.spec.classification:
        assert set(report["predictions_per_class"]) == set(synthetic.spec.labels)
    assert report["latency_ms"]["p50"] > 0
    assert len(log.read_text().splitlines()) == 7


def test_traffic_takes_examples_from_the_whole_split():
    # A split stored class by class: each class gets its share of the traffic.
    split = [
        Example(f"{label}{n}", label, f"{label}/{n}")
        for label in "abc"
        for n in range(4)
    ]
    chosen = evenly_spaced(split, 6)
    assert [example.target for example in chosen] == ["a", "a", "b", "b", "c", "c"]
    assert evenly_spaced(split, 50) == split
    assert evenly_spaced(split, 0) == []


def test_smoke_check_fails_clearly_when_the_server_cannot_start(fresh_folders):
    # An empty model store: bentoml serve exits, and the report says why.
    result = fresh_folders.run("-m", "serving.check", "--examples", "0")
    assert result.returncode == 1
    assert "could not be found in the BentoML model store" in result.stderr
    assert "python -m serving.package" in result.stderr
    report_path = fresh_folders.artifacts / "serving" / "smoke.json"
    report = json.loads(report_path.read_text())
    assert report["ok"] is False
    assert report["requests_sent"] == 0
