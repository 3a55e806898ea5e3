"""`python -m data labelled`: served inputs with their true answers join training."""

import json
from collections import Counter
from pathlib import Path

from conftest import write_lines

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.object_store import ObjectStore, shipped_log_prefix
from {{ cookiecutter.package_name }}.paths import dataset_dir
from {{ cookiecutter.package_name }}.problem import SPLITS

from data.cli import main
from data.labelled import make_labelled_dataset
from data.manifest import read_manifest
from data.prepare import prepare


def served_logs(tmp_path: Path, spec: problem.Spec) -> tuple[Path, Path, list]:
    """Logs as the service leaves them: four answered inputs, three labelled,
    one refused body with an answer, one answer whose input is not kept; and a
    torn last line in each log. Returns the logs and the labelled examples."""
    fresh = problem.synthetic_source(4, seed=99).examples[:4]
    ids = [f"{n:032x}" for n in range(1, 5)]
    inputs = [
        {"id": key, "input": problem.request_payload(spec, example.input)}
        for key, example in zip(ids, fresh, strict=True)
    ]
    inputs.append({"id": "f" * 32, "input": {"not the contract": 1}})
    answers = [
        {"prediction_id": key, "label": example.target}
        for key, example in zip(ids[:3], fresh[:3], strict=True)
    ]
    answers.append({"prediction_id": "f" * 32, "label": fresh[0].target})
    answers.append({"prediction_id": "e" * 32, "label": fresh[0].target})
    input_log = write_lines(tmp_path / "inputs.jsonl", inputs)
    feedback_log = write_lines(tmp_path / "feedback.jsonl", answers)
    for log in (input_log, feedback_log):
        log.write_text(log.read_text() + '{"torn')
    return input_log, feedback_log, fresh[:3]


def stored(spec: problem.Spec, fingerprint) -> dict[str, Counter[str]]:
    """Each split's examples, fingerprinted now (a new dataset replaces the files)."""
    return {
        split: fingerprint(spec, problem.read_split(dataset_dir() / split, spec))
        for split in SPLITS
    }


def answers(fingerprints: Counter[str]) -> Counter[str]:
    """How often each true answer occurs among fingerprinted examples."""
    counted: Counter[str] = Counter()
    for text, count in fingerprints.items():
        counted[json.loads(text)[1]] += count
    return counted


def test_labelled_inputs_join_training_and_held_out_splits_stay(
    artifacts, tmp_path, fingerprint
):
    before = prepare(count=6, seed=3)
    spec = problem.read_spec(dataset_dir())
    old = stored(spec, fingerprint)
    input_log, feedback_log, labelled = served_logs(tmp_path, spec)
    added = fingerprint(spec, labelled)

    manifest = make_labelled_dataset(input_log, feedback_log, seed=3)

    assert manifest["source"] == "labelled production"
    assert manifest["options"]["grown_from"] == before["version"]
    assert manifest["options"]["added"] == 3
    assert manifest["version"] != before["version"]
    new = stored(spec, fingerprint)
    for split in ("validation", "evaluation"):
        assert new[split] == old[split]
    grown = old["training"] + added
    assert new["training"] == grown
    # The body the contract refuses is kept in quarantine, with the reason.
    assert manifest["quarantined_count"] == 1
    assert "refused" in manifest["quarantined"][0]["reason"]
    assert read_manifest()["version"] == manifest["version"]
    # The next version takes in only what is new in the logs.
    again = make_labelled_dataset(input_log, feedback_log, seed=3)
    assert again["options"]["added"] == 0
    assert again["options"]["production_ids"] == manifest["options"]["production_ids"]
    assert stored(spec, fingerprint)["training"] == grown


def test_the_shuffle_drill_keeps_the_answers_but_not_their_pairing(
    artifacts, tmp_path, fingerprint
):
    prepare(count=8, seed=3)
    spec = problem.read_spec(dataset_dir())
    old = stored(spec, fingerprint)
    empty = write_lines(tmp_path / "none.jsonl", [])

    manifest = make_labelled_dataset(empty, empty, seed=5, shuffle_labels=True)

    assert manifest["options"]["shuffled_labels"] is True
    new = stored(spec, fingerprint)
    assert new["evaluation"] == old["evaluation"]
    assert answers(new["training"]) == answers(old["training"])
    assert new["training"] != old["training"]


def test_the_command_line_reports_the_new_version(artifacts, tmp_path, capsys):
    prepare(count=6, seed=3)
    spec = problem.read_spec(dataset_dir())
    input_log, feedback_log, _ = served_logs(tmp_path, spec)
    code = main(
        ["labelled", "--inputs", str(input_log), "--feedback", str(feedback_log)]
    )
    assert code == 0
    output = capsys.readouterr().out
    assert "labelled production" in output
    assert f"version {read_manifest()['version'][:12]}" in output


def ship(store: ObjectStore, log: str, stage: str, lines: list[bytes], tmp_path):
    """Store ``lines`` as the stage's log shipper does: in pieces, keyed by time."""
    for n, piece in enumerate((lines[:2], lines[2:])):
        part = tmp_path / f"{log}-{stage}-{n}.jsonl"
        part.write_bytes(b"".join(piece))
        key = f"{shipped_log_prefix(log, stage)}2027-03-01/2027030{n + 1}T000000Z-a"
        store.upload(part, key + ".jsonl")


def test_the_gpu_run_reads_one_stages_logs_from_the_object_store(
    bucket, tmp_path, fingerprint
):
    prepare(count=6, seed=3)
    spec = problem.read_spec(dataset_dir())
    old = stored(spec, fingerprint)
    input_log, feedback_log, labelled = served_logs(tmp_path, spec)
    store = ObjectStore.from_env()
    store.ensure_bucket()
    for log, path in (("inputs", input_log), ("feedback", feedback_log)):
        ship(store, log, "production", path.read_bytes().splitlines(True), tmp_path)
    # The canary's feedback answers the fourth input, which production's does not:
    # another stage's logs, so not taken.
    answer = {"prediction_id": f"{4:032x}", "label": labelled[0].target}
    ship(store, "feedback", "canary", [json.dumps(answer).encode() + b"\n"], tmp_path)

    assert main(["labelled", "--stored", "production"]) == 0

    manifest = read_manifest()
    assert manifest["options"]["added"] == 3
    assert stored(spec, fingerprint)["training"] == old["training"] + fingerprint(
        spec, labelled
    )


def test_without_the_object_store_nothing_changes_and_the_error_says_what_to_set(
    artifacts, monkeypatch, capsys
):
    before = prepare(count=6, seed=3)
    for variable in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable, raising=False)

    assert main(["labelled", "--stored", "production"]) == 2

    assert "set AWS_ENDPOINT_URL" in capsys.readouterr().err
    assert read_manifest()["version"] == before["version"]
