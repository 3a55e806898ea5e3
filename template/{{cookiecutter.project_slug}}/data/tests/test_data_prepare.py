import json

import pytest

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.paths import dataset_dir
from {{ cookiecutter.package_name }}.problem import SPLITS, Spec

from data.cli import main
from data.manifest import ROWS
from data.prepare import DEFAULT_COUNT, DEFAULT_SEED, prepare


def dataset_listing() -> set[str]:
    root = dataset_dir()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def expected_counts(spec: Spec, per_split: int) -> dict[str, int]:
    """What one split's entry in the manifest holds, ``per_split`` each."""
    if spec.classification:
        return dict.fromkeys(spec.labels, per_split)
    return {ROWS: per_split}


def stored_examples(spec: Spec) -> dict[str, list[problem.Example]]:
    return {split: problem.read_split(dataset_dir() / split, spec) for split in SPLITS}


def test_every_split_gets_its_share_of_every_label(artifacts):
    manifest = prepare(count=10, seed=3)
    spec = problem.read_spec(dataset_dir())
    assert manifest["task"] == spec.task == problem.TASK
    assert Spec.from_json(manifest["spec"]) == spec
    for split, size in zip(SPLITS, (6, 2, 2), strict=True):
        assert manifest["splits"][split] == expected_counts(spec, size)
    stored = stored_examples(spec)
    assert {split: len(examples) for split, examples in stored.items()} == {
        split: sum(manifest["splits"][split].values()) for split in SPLITS
    }
    assert manifest["total"] == 10 * max(len(spec.labels), 1)
    assert manifest["seed"] == 3
    assert manifest["source"] == "synthetic"
    assert manifest["options"] == {"count": 10, "corrupt": 0, "splits": "seeded"}
    assert dataset_dir().is_relative_to(artifacts)


def test_splits_are_disjoint_and_hold_every_generated_example(artifacts, fingerprint):
    prepare(count=10, seed=3)
    spec = problem.read_spec(dataset_dir())
    stored = [e for examples in stored_examples(spec).values() for e in examples]
    generated = problem.synthetic_source(10, 3).examples
    assert fingerprint(spec, stored) == fingerprint(spec, generated)


def test_the_seed_decides_the_examples_and_the_splits(artifacts):
    first = prepare(count=5, seed=3)
    again = prepare(count=5, seed=3)
    other = prepare(count=5, seed=4)
    assert first == again
    assert other["version"] != first["version"]


def test_corrupt_inputs_are_quarantined_kept_counted_and_not_fatal(artifacts, capsys):
    assert main(["prepare", "--count", "5", "--corrupt", "4"]) == 0
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    spec = Spec.from_json(manifest["spec"])
    assert manifest["quarantined_count"] == 4
    assert manifest["splits"]["training"] == expected_counts(spec, 3)
    rejected = problem.synthetic_source(5, DEFAULT_SEED, corrupt=4).rejected
    assert [entry["path"] for entry in manifest["quarantined"]] == [
        r.origin for r in rejected
    ]
    for entry, original in zip(manifest["quarantined"], rejected, strict=True):
        assert entry["reason"] == original.reason
        kept = artifacts / "data" / "quarantine" / entry["kept"]
        assert kept.read_bytes() == original.content
    assert "build" not in json.dumps(manifest["quarantined"])
    out = capsys.readouterr().out
    assert "Quarantined: 4" in out
    assert rejected[0].origin in out


def test_prepare_twice_leaves_no_stale_files(artifacts):
    prepare(count=10, seed=3, corrupt=2)
    manifest = prepare(count=4, seed=9)
    assert manifest == json.loads((artifacts / "data" / "manifest.json").read_text())
    assert dataset_listing() == {entry["path"] for entry in manifest["files"]}
    assert manifest["quarantined_count"] == 0
    assert not any((artifacts / "data" / "quarantine").iterdir())
    assert sorted(p.name for p in (artifacts / "data").iterdir()) == [
        "dataset",
        "manifest.json",
        "quarantine",
    ]


def test_default_command_is_prepare_with_the_default_options(artifacts, capsys):
    assert main([]) == 0
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    spec = Spec.from_json(manifest["spec"])
    assert manifest["options"] == {
        "count": DEFAULT_COUNT,
        "corrupt": 0,
        "splits": "seeded",
    }
    assert manifest["total"] == DEFAULT_COUNT * max(len(spec.labels), 1)
    out = capsys.readouterr().out
    assert manifest["version"][:12] in out
    # The synthetic data defines the contract committed in contracts/.
    assert "python -m data contract" not in out


def test_per_class_is_another_name_for_count(artifacts):
    assert main(["prepare", "--per-class", "3"]) == 0
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    assert manifest["options"]["count"] == 3


@pytest.mark.parametrize(
    "args",
    [["--count", "2"], ["--per-class", "x"], ["--corrupt", "-1"], ["--seed", "x"]],
)
def test_bad_options_exit_with_code_2(artifacts, args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["prepare", *args])
    assert exit_info.value.code == 2
    assert args[0] in capsys.readouterr().err
    assert not (artifacts / "data").exists()
