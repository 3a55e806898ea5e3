"""Dataset versions in a real S3 server: `rclone serve s3` on loopback, over a
temporary folder (rclone comes with the data room's requirements)."""

import pytest

from {{ cookiecutter.package_name }}.hashing import file_sha256
from {{ cookiecutter.package_name }}.object_store import CREDENTIALS, ObjectStore, StoreError
from {{ cookiecutter.package_name }}.paths import dataset_dir

from data import versions
from data.cli import main
from data.manifest import read_manifest
from data.prepare import prepare


def dataset_files() -> dict[str, str]:
    root = dataset_dir()
    return {
        path.relative_to(root).as_posix(): file_sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_push_then_pull_brings_back_the_version_byte_for_byte(bucket, capsys):
    pushed_manifest = prepare(count=4, seed=2)
    pushed_files = dataset_files()
    assert main(["push"]) == 0
    version = pushed_manifest["version"]
    assert f"Pushed version {version[:12]}" in capsys.readouterr().out
    assert (bucket / "datasets" / version / "manifest.json").is_file()

    other = prepare(count=5, seed=9)
    assert other["version"] != version and dataset_files() != pushed_files
    assert main(["pull", version[:12]]) == 0
    assert "Pulled from bucket" in capsys.readouterr().out
    assert dataset_files() == pushed_files
    assert read_manifest()["version"] == version

    assert main(["versions"]) == 0
    assert version[:12] in capsys.readouterr().out


def test_pushing_a_stored_version_again_sends_nothing(bucket):
    manifest = prepare(count=4, seed=2)
    store = ObjectStore.from_env()
    first = versions.push(store)
    assert (first.uploaded, first.already_stored) == (len(manifest["files"]), False)
    again = versions.push(store)
    assert (again.uploaded, again.already_stored) == (0, True)
    assert versions.stored_versions(store) == [manifest["version"]]


def test_an_interrupted_push_leaves_no_version_and_a_second_one_finishes(
    bucket, monkeypatch
):
    manifest = prepare(count=4, seed=2)
    store = ObjectStore.from_env()
    upload = store.upload
    sent: list[str] = []

    def fail_after_two(path, key):
        if len(sent) == 2:
            raise StoreError("connection lost")
        upload(path, key)
        sent.append(key)

    monkeypatch.setattr(store, "upload", fail_after_two)
    with pytest.raises(StoreError, match="connection lost"):
        versions.push(store)
    assert versions.stored_versions(store) == [], "no half version is visible"
    with pytest.raises(StoreError, match="no version"):
        versions.pull(store, manifest["version"][:12])

    monkeypatch.setattr(store, "upload", upload)
    finished = versions.push(store)
    assert (finished.present, finished.uploaded) == (2, len(manifest["files"]) - 2)
    assert versions.stored_versions(store) == [manifest["version"]]


def test_a_damaged_object_is_refused_and_the_current_dataset_kept(bucket):
    pushed = prepare(count=4, seed=2)
    store = ObjectStore.from_env()
    versions.push(store)
    entry = pushed["files"][0]
    stored = bucket / "objects" / "sha256" / entry["sha256"]
    content = stored.read_bytes()
    current = prepare(count=3, seed=5)
    before = dataset_files()
    flipped = bytes(255 - byte for byte in content)  # same size, other bytes
    truncated = content[: len(content) // 2]  # shorter than the store announces
    for damaged, error in (
        (flipped, "damaged in the store"),
        (truncated, "downloading"),
    ):
        stored.write_bytes(damaged)
        with pytest.raises(StoreError, match=error):
            versions.pull(store, pushed["version"])
        assert dataset_files() == before
        assert read_manifest()["version"] == current["version"]


def test_a_dataset_changed_since_its_manifest_is_not_pushed(bucket):
    manifest = prepare(count=4, seed=2)
    (dataset_dir() / manifest["files"][0]["path"]).write_bytes(b"edited by hand")
    with pytest.raises(StoreError, match="changed since it was made"):
        versions.push(ObjectStore.from_env())
    assert versions.stored_versions(ObjectStore.from_env()) == []


def test_unknown_and_ambiguous_versions_name_what_is_stored(bucket):
    store = ObjectStore.from_env()
    store.ensure_bucket()
    for version in ("abc1" + "0" * 60, "abc2" + "0" * 60):
        store.put_json(versions.manifest_key(version), {"files": []})
    stored = r"stored: abc100000000, abc200000000"
    with pytest.raises(StoreError, match=r"no version 'ffff' .*" + stored):
        versions.resolve(store, "ffff")
    with pytest.raises(StoreError, match="'abc' names 2 versions"):
        versions.resolve(store, "abc")
    assert versions.resolve(store, "abc2") == "abc2" + "0" * 60


def test_without_settings_push_says_what_to_set(artifacts, monkeypatch, capsys):
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    prepare(count=3)
    assert main(["push"]) == 2
    error = capsys.readouterr().err
    assert all(name in error for name in CREDENTIALS) and "data/README.md" in error


def test_a_manifest_naming_paths_outside_the_dataset_is_refused(tmp_path):
    with pytest.raises(StoreError, match="unsafe path"):
        versions.safe_path(tmp_path, "../../etc/passwd")
    assert versions.safe_path(tmp_path, "training/a.jpg") == tmp_path / "training/a.jpg"
