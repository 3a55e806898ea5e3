import json
from pathlib import Path

import pytest
from PIL import Image

from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS
from {{ cookiecutter.package_name }}.paths import dataset_dir

from data.cli import main
from data.prepare import prepare
from data.splits import SPLITS


def dataset_listing() -> set[str]:
    root = dataset_dir()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_every_class_is_in_every_split_with_the_expected_counts(artifacts):
    manifest = prepare(per_class=10, seed=3)
    expected = {"training": 6, "validation": 2, "evaluation": 2}
    for split in SPLITS:
        assert manifest["splits"][split] == dict.fromkeys(
            CLASS_FOLDERS, expected[split]
        )
        for folder in CLASS_FOLDERS:
            files = list((dataset_dir() / split / folder).glob("*.jpg"))
            assert len(files) == expected[split]
    assert manifest["total"] == 110
    assert manifest["seed"] == 3
    assert manifest["source"] == "synthetic"
    assert dataset_dir().is_relative_to(artifacts)


def test_splits_are_disjoint_and_cover_every_generated_image(artifacts):
    prepare(per_class=10, seed=3)
    for folder in CLASS_FOLDERS:
        names = [
            path.name
            for split in SPLITS
            for path in (dataset_dir() / split / folder).iterdir()
        ]
        assert len(names) == len(set(names)) == 10


def test_the_seed_decides_the_images_and_the_splits(artifacts):
    first = prepare(per_class=5, seed=3)
    again = prepare(per_class=5, seed=3)
    other = prepare(per_class=5, seed=4)
    assert first == again
    assert other["version"] != first["version"]


def test_corrupt_files_are_quarantined_counted_and_not_fatal(artifacts, capsys):
    assert main(["prepare", "--per-class", "5", "--corrupt", "4"]) == 0
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    assert manifest["quarantined_count"] == 4
    assert manifest["splits"]["training"] == dict.fromkeys(CLASS_FOLDERS, 3)
    reasons = {entry["path"]: entry["reason"] for entry in manifest["quarantined"]}
    assert reasons["class_02/corrupt_empty_002.jpg"] == "empty file (0 bytes)"
    assert "build" not in "".join(reasons.values())
    for relative in reasons:
        assert (artifacts / "data" / "quarantine" / relative).is_file()
    assert not any("corrupt" in name for name in dataset_listing())
    assert "Quarantined: 4" in capsys.readouterr().out


def test_prepare_twice_leaves_no_stale_files(artifacts):
    prepare(per_class=10, seed=3, corrupt=2)
    prepare(per_class=4, seed=9)
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    assert dataset_listing() == {entry["path"] for entry in manifest["files"]}
    assert manifest["total"] == 44
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
    assert manifest["options"] == {"per_class": 80, "image_size": 64, "corrupt": 0}
    assert manifest["total"] == 80 * len(CLASS_FOLDERS)
    assert manifest["version"][:12] in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [["--per-class", "2"], ["--image-size", "4"], ["--corrupt", "-1"], ["--seed", "x"]],
)
def test_bad_options_exit_with_code_2(artifacts, args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["prepare", *args])
    assert exit_info.value.code == 2
    assert args[0] in capsys.readouterr().err


def test_image_size_option_sets_the_size(artifacts):
    prepare(per_class=3, image_size=32)
    with Image.open(next(Path(dataset_dir()).rglob("*.jpg"))) as image:
        assert image.size == (32, 32)
