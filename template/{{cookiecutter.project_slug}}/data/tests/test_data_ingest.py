import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS, NUM_CLASSES
from {{ cookiecutter.package_name }}.paths import REPO_ROOT, dataset_dir

from data.cli import main
from data.ingest import FLAT, IMAGEFOLDER, ingest
from data.layout import DataError
from data.splits import SPLITS
from data.synthetic import corrupt_bytes, render_jpeg

PER_CLASS = 2


def tiny_jpeg(class_index: int, index: int) -> bytes:
    return render_jpeg(class_index, seed=11, index=index, size=16)


def food11_flat(root: Path) -> Path:
    """The Kaggle layout: <split>/<class id>_<n>.jpg, plus one bad and one unknown."""
    for split in SPLITS:
        (root / split).mkdir(parents=True)
        for c in range(NUM_CLASSES):
            for n in range(PER_CLASS):
                (root / split / f"{c}_{n}.jpg").write_bytes(tiny_jpeg(c, n))
    (root / "training" / "3_99.jpg").write_bytes(corrupt_bytes("truncated", 0, 0))
    (root / "training" / "11_0.jpg").write_bytes(tiny_jpeg(0, 0))
    (root / "evaluation" / ".DS_Store").write_bytes(b"hidden")
    return root


def food11_imagefolder(root: Path) -> Path:
    """The ImageFolder layout: <split>/class_XX/*.jpg, plus one bad and one unknown."""
    for split in SPLITS:
        for c, folder in enumerate(CLASS_FOLDERS):
            (root / split / folder).mkdir(parents=True)
            for n in range(PER_CLASS):
                (root / split / folder / f"{n}.jpg").write_bytes(tiny_jpeg(c, n))
    (root / "validation" / "class_05" / "bad.jpg").write_bytes(b"")
    (root / "training" / "class_11").mkdir()
    (root / "training" / "class_11" / "0.jpg").write_bytes(tiny_jpeg(0, 0))
    return root


def source_listing(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize(
    ("build", "layout", "bad", "unknown"),
    [
        (food11_flat, FLAT, "training/3_99.jpg", "training/11_0.jpg"),
        (
            food11_imagefolder,
            IMAGEFOLDER,
            "validation/class_05/bad.jpg",
            "training/class_11/",
        ),
    ],
)
def test_ingest_keeps_food11_splits_and_reports_bad_files(
    artifacts, tmp_path, build, layout, bad, unknown
):
    src = build(tmp_path / "food11")
    before = source_listing(src)
    manifest = ingest(src)
    assert manifest["source"] == "food11"
    assert manifest["options"] == {"layout": layout, "source_path": str(src)}
    for split in SPLITS:
        assert manifest["splits"][split] == dict.fromkeys(CLASS_FOLDERS, PER_CLASS)
    assert manifest["total"] == len(list(dataset_dir().rglob("*.jpg")))
    assert manifest["quarantined_count"] == 1
    assert manifest["quarantined"][0]["path"] == bad
    assert (artifacts / "data" / "quarantine" / bad).is_file()
    assert [entry["path"] for entry in manifest["skipped"]] == [unknown]
    reason = manifest["skipped"][0]["reason"]
    assert "unknown class" in reason
    if layout == IMAGEFOLDER:
        assert "holding 1 file(s)" in reason
    # SRC is only read.
    assert source_listing(src) == before


def test_validate_after_ingest_keeps_what_ingest_reported(artifacts, tmp_path):
    ingested = ingest(food11_flat(tmp_path / "food11"))
    assert main(["validate"]) == 0
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    for key in ("version", "source", "options", "quarantined", "skipped"):
        assert manifest[key] == ingested[key]


def test_flat_files_land_in_their_class_folder(artifacts, tmp_path):
    ingest(food11_flat(tmp_path / "food11"))
    copied = dataset_dir() / "evaluation" / "class_10" / "10_1.jpg"
    assert copied.read_bytes() == tiny_jpeg(10, 1)


def test_ingest_replaces_a_prepared_dataset(artifacts, tmp_path):
    main(["prepare", "--per-class", "3"])
    ingest(food11_imagefolder(tmp_path / "food11"))
    names = {p.name for p in dataset_dir().rglob("*") if p.is_file()}
    assert names == {"0.jpg", "1.jpg"}


def make_dirs(root: Path, *relative: str) -> Path:
    for path in relative:
        (root / path).mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        ((), "no such directory"),
        (("training", "validation"), "missing split folder(s) evaluation"),
        (
            ("training/pizza", "validation/pizza", "evaluation/pizza"),
            "matches neither layout",
        ),
        (("training/class_00", "validation", "evaluation"), "matches neither layout"),
    ],
)
def test_ingest_refuses_a_source_in_neither_layout(tmp_path, relative, message):
    src = tmp_path / "src"
    if relative:
        make_dirs(src, *relative)
    with pytest.raises(DataError, match=re.escape(message)) as error:
        ingest(src)
    assert str(src) in str(error.value)


def test_ingest_refuses_splits_in_different_layouts(tmp_path):
    src = make_dirs(tmp_path / "src", "training/class_00", "validation", "evaluation")
    for split in ("validation", "evaluation"):
        (src / split / "0_0.jpg").write_bytes(tiny_jpeg(0, 0))
    with pytest.raises(DataError, match="different layouts"):
        ingest(src)


def test_a_split_left_empty_keeps_the_previous_dataset(artifacts, tmp_path):
    assert main(["prepare", "--per-class", "3"]) == 0
    previous = json.loads((artifacts / "data" / "manifest.json").read_text())
    src = food11_flat(tmp_path / "food11")
    for path in (src / "evaluation").glob("*.jpg"):
        path.write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="no readable images left in split"):
        ingest(src)
    manifest = json.loads((artifacts / "data" / "manifest.json").read_text())
    assert manifest == previous
    assert not (artifacts / "data" / "build").exists()


def test_cli_reports_a_bad_source_with_exit_code_2(artifacts, tmp_path):
    src = make_dirs(tmp_path / "photos", "training")
    result = subprocess.run(
        [sys.executable, "-m", "data", "ingest", str(src)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert str(src) in result.stderr
    assert "missing split folder(s) validation, evaluation" in result.stderr
    assert not (artifacts / "data" / "manifest.json").exists()
