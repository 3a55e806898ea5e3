import hashlib
import json
import shutil

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.paths import dataset_dir
from {{ cookiecutter.package_name }}.problem import ProblemDataError

from data.cli import main
from data.layout import example_content
from data.manifest import dataset_version, manifest_path
from data.prepare import prepare
from data.validate import STRAY_REASON


def read_manifest() -> dict:
    return json.loads(manifest_path().read_text())


def test_manifest_hashes_and_sizes_match_the_files(artifacts):
    manifest = prepare(count=4, seed=2)
    assert manifest_path() == artifacts / "data" / "manifest.json"
    assert read_manifest() == manifest
    stored = {p for p in dataset_dir().rglob("*") if p.is_file()}
    assert {dataset_dir() / entry["path"] for entry in manifest["files"]} == stored
    assert "problem.json" in {entry["path"] for entry in manifest["files"]}
    for entry in manifest["files"]:
        data = (dataset_dir() / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
    assert manifest["version"] == dataset_version(manifest["files"])


def test_version_ignores_order_but_not_content_or_names():
    entries = [
        {"path": "training/a", "sha256": "1" * 64, "size": 1},
        {"path": "training/b", "sha256": "2" * 64, "size": 1},
    ]
    version = dataset_version(entries)
    assert dataset_version(list(reversed(entries))) == version
    changed = [entries[0], {**entries[1], "sha256": "3" * 64}]
    assert dataset_version(changed) != version
    renamed = [entries[0], {**entries[1], "path": "validation/b"}]
    assert dataset_version(renamed) != version


def test_validating_a_whole_dataset_keeps_its_version(artifacts, capsys):
    before = prepare(count=4, seed=2, corrupt=1)
    assert main(["validate"]) == 0
    after = read_manifest()
    for key in ("version", "files", "splits", "quarantined", "source", "options"):
        assert after[key] == before[key]
    assert before["version"][:12] in capsys.readouterr().out


def test_a_changed_split_changes_the_version(artifacts, tmp_path):
    before = prepare(count=10, seed=2)  # two or more examples in every split
    spec = problem.read_spec(dataset_dir())
    # Store the validation split again without its first example.
    copy = shutil.copytree(dataset_dir() / "validation", tmp_path / "validation")
    examples = problem.read_split(copy, spec)
    shutil.rmtree(dataset_dir() / "validation")
    problem.write_split(examples[1:], dataset_dir() / "validation", spec)
    assert main(["validate"]) == 0
    after = read_manifest()
    assert after["version"] != before["version"]
    assert after["total"] == before["total"] - 1
    assert after["version"] == dataset_version(after["files"])


def test_validate_quarantines_what_no_longer_loads(artifacts, monkeypatch):
    before = prepare(count=10, seed=2, corrupt=1)  # one left where one breaks
    spec = problem.read_spec(dataset_dir())
    broken = problem.read_split(dataset_dir() / "validation", spec)[0]
    content = example_content(broken)
    load_input = problem.load_input

    def failing_load_input(example):
        if example.origin == broken.origin:
            raise ProblemDataError(f"{example.origin}: cannot be decoded")
        return load_input(example)

    monkeypatch.setattr(problem, "load_input", failing_load_input)
    assert main(["validate"]) == 0
    after = read_manifest()
    assert after["quarantined_count"] == 2
    assert after["quarantined"][0] == before["quarantined"][0]
    entry = after["quarantined"][1]
    assert (entry["path"], entry["reason"]) == (broken.origin, "cannot be decoded")
    kept = artifacts / "data" / "quarantine" / entry["kept"]
    assert kept.read_bytes() == content
    assert sum(after["splits"]["validation"].values()) == (
        sum(before["splits"]["validation"].values()) - 1
    )
    assert after["version"] != before["version"]


def test_validate_never_resplits_a_split_that_broke_entirely(
    artifacts, monkeypatch, capsys
):
    before = prepare(count=4, seed=2)

    def failing_load_input(example):
        raise ProblemDataError(f"{example.origin}: cannot be decoded")

    monkeypatch.setattr(problem, "load_input", failing_load_input)
    assert main(["validate"]) == 2
    assert "left in split(s) training, validation, evaluation" in (
        capsys.readouterr().err
    )
    assert read_manifest() == before
    assert not (artifacts / "data" / "build").exists()


def test_validate_moves_stray_files_aside_and_keeps_the_version(artifacts):
    before = prepare(count=4, seed=2)
    stray = dataset_dir() / "training" / "notes.txt"
    stray.write_text("not an example")
    assert main(["validate"]) == 0
    after = read_manifest()
    assert after["version"] == before["version"]
    assert after["skipped"] == [
        {
            "path": "training/notes.txt",
            "reason": STRAY_REASON,
            "kept": "training/notes.txt",
        }
    ]
    assert not stray.exists()
    kept = artifacts / "data" / "quarantine" / "training" / "notes.txt"
    assert kept.read_text() == "not an example"


def test_validate_without_a_dataset_is_a_clear_error(artifacts, capsys):
    assert main(["validate"]) == 2
    error = capsys.readouterr().err
    assert str(dataset_dir()) in error
    assert "python -m data prepare" in error
