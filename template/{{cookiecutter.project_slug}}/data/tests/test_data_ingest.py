"""`python -m data ingest`: what the room does with whatever a source holds.

What a source file looks like is the problem's business (its tests read real
folders and files); here `problem.read_source` hands over a synthetic source,
with or without splits and rejected input, and the room must keep, split,
quarantine and publish it, or refuse it leaving the current dataset intact.
"""

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.paths import REPO_ROOT, contracts_dir, dataset_dir
from {{ cookiecutter.package_name }}.problem import (
    SPLITS,
    ProblemDataError,
    Rejected,
    Source,
)

from data.cli import main
from data.ingest import ingest
from data.prepare import prepare


def synthetic(count: int = 6, seed: int = 5) -> Source:
    return problem.synthetic_source(count, seed)


def given_splits(source: Source) -> Source:
    """``source`` with every example's split given: the n-th goes to SPLITS[n % 3]."""
    examples = [
        replace(example, split=SPLITS[number % len(SPLITS)])
        for number, example in enumerate(source.examples)
    ]
    return Source(source.spec, examples, source.rejected)


def dataset_contents() -> dict[str, bytes]:
    root = dataset_dir()
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_a_source_with_splits_keeps_them(artifacts, tmp_path, read_source_gives):
    source = given_splits(synthetic())
    src = read_source_gives(source)
    manifest = ingest(src)
    assert manifest["source"] == "ingested"
    assert manifest["options"]["splits"] == "source"
    assert manifest["options"]["path"] == str(src.resolve())
    for split in SPLITS:
        wanted = [e for e in source.examples if e.split == split]
        stored = problem.read_split(dataset_dir() / split, source.spec)
        assert len(stored) == len(wanted) == sum(manifest["splits"][split].values())
    assert problem.read_spec(dataset_dir()) == source.spec


def test_a_source_without_splits_is_split_with_the_seed(
    artifacts, tmp_path, read_source_gives, fingerprint
):
    source = synthetic(count=10)
    src = read_source_gives(source)
    first = ingest(src, seed=7)
    again = ingest(src, seed=7)
    assert first == again
    assert first["options"]["splits"] == "seeded"
    assert [sum(first["splits"][split].values()) for split in SPLITS] == [
        6 * max(len(source.spec.labels), 1),
        2 * max(len(source.spec.labels), 1),
        2 * max(len(source.spec.labels), 1),
    ]
    stored = [
        example
        for split in SPLITS
        for example in problem.read_split(dataset_dir() / split, source.spec)
    ]
    assert fingerprint(source.spec, stored) == fingerprint(source.spec, source.examples)
    assert ingest(src, seed=8)["version"] != first["version"]


def test_rejected_input_is_quarantined_and_counted_never_fatal(
    artifacts, tmp_path, read_source_gives, capsys
):
    source = synthetic()
    source.rejected += [
        Rejected("broken/one", "unreadable", b"\x00\x01"),
        Rejected("broken/one", "unreadable again", b"\x02"),
        Rejected("../../outside", "climbs out", b"up"),
        Rejected("rows.csv:7", "no target", b"a,b\n"),
    ]
    src = read_source_gives(source)
    assert main(["ingest", str(src)]) == 0
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    assert manifest["quarantined_count"] == 4
    quarantine = artifacts / "data" / "quarantine"
    kept = {
        entry["path"]: quarantine / entry["kept"] for entry in manifest["quarantined"]
    }
    assert [e["kept"] for e in manifest["quarantined"]][:2] == [
        "broken/one",
        "broken/one.1",
    ]
    assert (quarantine / "broken" / "one").read_bytes() == b"\x00\x01"
    assert kept["../../outside"].read_bytes() == b"up"
    assert kept["../../outside"].resolve().is_relative_to(quarantine.resolve())
    assert kept["rows.csv:7"].read_bytes() == b"a,b\n"
    assert "Quarantined: 4" in capsys.readouterr().out


def test_ingest_replaces_a_prepared_dataset_and_its_quarantine(
    artifacts, tmp_path, read_source_gives
):
    prepare(count=3, corrupt=2)
    src = read_source_gives(given_splits(synthetic(count=3, seed=8)))
    manifest = ingest(src)
    stored = set(dataset_contents())
    assert stored == {entry["path"] for entry in manifest["files"]}
    assert manifest["quarantined_count"] == 0
    assert not any((artifacts / "data" / "quarantine").iterdir())


def test_a_split_left_empty_keeps_the_previous_dataset(
    artifacts, tmp_path, read_source_gives
):
    prepare(count=3)
    previous = (artifacts / "data" / "manifest.json").read_text()
    stored = dataset_contents()
    source = given_splits(synthetic())
    source.examples = [e for e in source.examples if e.split != "training"]
    src = read_source_gives(source)
    with pytest.raises(ProblemDataError, match=r"left in split\(s\) training"):
        ingest(src)
    assert (artifacts / "data" / "manifest.json").read_text() == previous
    assert dataset_contents() == stored
    assert not (artifacts / "data" / "build").exists()


def test_a_new_label_set_or_target_asks_for_a_new_contract(
    artifacts, tmp_path, read_source_gives, relabelled, capsys
):
    committed = {p.name: p.read_bytes() for p in contracts_dir().iterdir()}
    src = read_source_gives(relabelled(synthetic()))
    assert main(["ingest", str(src)]) == 0
    assert "run `python -m data contract`" in capsys.readouterr().out
    # Only the contract command writes contracts/.
    assert {p.name: p.read_bytes() for p in contracts_dir().iterdir()} == committed


def test_a_source_the_problem_refuses_exits_with_code_2(
    artifacts, tmp_path, monkeypatch, capsys
):
    def refuse(path, target="target"):
        raise ProblemDataError(f"{path}: holds one class only")

    monkeypatch.setattr(problem, "read_source", refuse)
    assert main(["ingest", str(tmp_path)]) == 2
    assert f"{tmp_path}: holds one class only" in capsys.readouterr().err
    assert not (artifacts / "data").exists()


@pytest.mark.parametrize("make", ["missing", "empty folder"])
def test_cli_refuses_an_unusable_path_with_exit_code_2(artifacts, tmp_path, make):
    src = tmp_path / "source"
    if make == "empty folder":
        src.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "data", "ingest", str(src)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert str(src) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (artifacts / "data" / "manifest.json").exists()
