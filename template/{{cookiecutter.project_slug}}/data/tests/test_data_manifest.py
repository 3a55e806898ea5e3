import hashlib
import json

import pytest

from {{ cookiecutter.package_name }}.paths import dataset_dir

from data.cli import main
from data.manifest import dataset_version, file_entries, manifest_path
from data.prepare import prepare
from data.synthetic import corrupt_bytes, render_jpeg


def test_manifest_hashes_and_sizes_match_the_files(artifacts):
    manifest = prepare(per_class=4, seed=2)
    assert manifest_path() == artifacts / "data" / "manifest.json"
    assert json.loads(manifest_path().read_text()) == manifest
    assert len(manifest["files"]) == manifest["total"] == 44
    for entry in manifest["files"]:
        data = (dataset_dir() / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
    assert manifest["version"] == dataset_version(manifest["files"])


def test_version_ignores_order_but_not_content_or_names():
    entries = [
        {"path": "training/class_00/a.jpg", "sha256": "1" * 64, "size": 1},
        {"path": "training/class_01/b.jpg", "sha256": "2" * 64, "size": 1},
    ]
    version = dataset_version(entries)
    assert dataset_version(list(reversed(entries))) == version
    changed = [entries[0], {**entries[1], "sha256": "3" * 64}]
    assert dataset_version(changed) != version
    renamed = [entries[0], {**entries[1], "path": "training/class_02/b.jpg"}]
    assert dataset_version(renamed) != version


def test_changing_one_image_changes_the_version(artifacts, capsys):
    before = prepare(per_class=4, seed=2)
    target = dataset_dir() / before["files"][0]["path"]
    target.write_bytes(render_jpeg(0, seed=777, index=0))
    assert main(["validate"]) == 0
    after = json.loads(manifest_path().read_text())
    assert after["version"] != before["version"]
    entry = next(e for e in after["files"] if e["path"] == before["files"][0]["path"])
    assert entry["sha256"] == file_entries(dataset_dir(), [target])[0]["sha256"]
    assert after["version"][:12] in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["truncated", "random-bytes", "empty"])
def test_validate_quarantines_bad_images_in_place(artifacts, kind):
    before = prepare(per_class=4, seed=2, corrupt=1)
    bad = dataset_dir() / "validation" / "class_03" / f"bad-{kind}.jpg"
    bad.write_bytes(corrupt_bytes(kind, seed=0, index=5))
    stray = dataset_dir() / "training" / "notes.txt"
    stray.write_text("not an image")
    assert main(["validate"]) == 0
    after = json.loads(manifest_path().read_text())
    assert after["quarantined_count"] == 2
    assert after["quarantined"][0] == before["quarantined"][0]
    assert after["quarantined"][1]["path"] == f"validation/class_03/bad-{kind}.jpg"
    assert not bad.exists()
    quarantined = artifacts / "data" / "quarantine" / "validation" / "class_03"
    assert (quarantined / bad.name).is_file()
    assert after["files"] == before["files"]
    assert after["version"] == before["version"]
    assert after["skipped"] == [
        {"path": "training/notes.txt", "reason": "not inside a class folder"}
    ]
    assert stray.exists()


def test_validate_without_a_dataset_is_a_clear_error(artifacts, capsys):
    assert main(["validate"]) == 2
    error = capsys.readouterr().err
    assert str(dataset_dir()) in error
    assert "python -m data prepare" in error
