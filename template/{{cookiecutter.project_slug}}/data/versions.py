"""Dataset versions in the object store: `python -m data push|pull VERSION|versions`.

A version is its manifest's hash. In the bucket, every file is stored once by
its content (``objects/sha256/<hash>``), so versions that share files share
objects, and each version's manifest sits at
``datasets/<version>/manifest.json``. Push uploads the objects the store lacks
and writes the manifest last: a version is visible only once complete, an
interrupted push leaves none behind (running it again uploads what is still
missing), and pushing a stored version again uploads nothing.

Pull checks every file against the manifest's hashes before the dataset
replaces the current one, so a damaged or partial download never becomes the
dataset. The pulled version's quarantine stays where it was pushed from.
"""

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.hashing import file_sha256
from {{ cookiecutter.package_name }}.object_store import ObjectStore, StoreError

from .dataset import finish, scratch
from .manifest import dataset_version, read_manifest

DATASETS = "datasets/"
MANIFEST = "manifest.json"


def object_key(sha256: str) -> str:
    return f"objects/sha256/{sha256}"


def manifest_key(version: str) -> str:
    return f"{DATASETS}{version}/{MANIFEST}"


@dataclass(frozen=True)
class Pushed:
    version: str
    uploaded: int  # files sent now
    present: int  # files the store already held
    already_stored: bool  # the version was complete before this push


def current_manifest() -> dict[str, Any]:
    manifest = read_manifest()
    if manifest is None:
        raise StoreError("no dataset to push yet: make one first (nox -s data)")
    return manifest


def checked_file(root: Path, entry: dict[str, Any]) -> Path:
    """The dataset's file for a manifest entry, if it still has that content."""
    path = root / entry["path"]
    if not path.is_file() or file_sha256(path) != entry["sha256"]:
        raise StoreError(
            f"{path} is not what the manifest says: the dataset changed since it was "
            "made; run `nox -s data -- validate` (or make it again), then push"
        )
    return path


def push(store: ObjectStore) -> Pushed:
    """Store the current dataset version; see the module docstring."""
    manifest = current_manifest()
    version = manifest["version"]
    store.ensure_bucket()
    files = manifest["files"]
    if store.exists(manifest_key(version)):
        return Pushed(version, 0, len(files), already_stored=True)
    root = paths.dataset_dir()
    uploaded = 0
    for entry in files:
        path = checked_file(root, entry)
        key = object_key(entry["sha256"])
        if not store.exists(key):
            store.upload(path, key)
            uploaded += 1
    store.put_json(manifest_key(version), manifest)  # last: the version is whole
    return Pushed(version, uploaded, len(files) - uploaded, already_stored=False)


def stored_versions(store: ObjectStore) -> list[str]:
    """The complete versions in the store (those whose manifest is there)."""
    return [
        key[len(DATASETS) : -len(MANIFEST) - 1]
        for key in store.keys(DATASETS)
        if key.endswith("/" + MANIFEST)
    ]


def resolve(store: ObjectStore, prefix: str) -> str:
    """The one stored version starting with ``prefix`` (as `nox -s data` shows it)."""
    versions = stored_versions(store)
    matches = [version for version in versions if version.startswith(prefix)]
    if len(matches) == 1 and prefix:
        return matches[0]
    known = ", ".join(version[:12] for version in versions) or "none"
    if not matches or not prefix:
        raise StoreError(
            f"no version {prefix!r} in bucket {store.bucket} (stored: {known})"
        )
    raise StoreError(f"{prefix!r} names {len(matches)} versions; give more of it")


def safe_path(root: Path, relative: str) -> Path:
    """``root / relative``, refusing names that would leave ``root``."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise StoreError(f"the stored manifest names an unsafe path: {relative!r}")
    return root.joinpath(*parts)


def pull(store: ObjectStore, prefix: str) -> dict[str, Any]:
    """Make the stored version starting with ``prefix`` the current dataset."""
    version = resolve(store, prefix)
    manifest = store.get_json(manifest_key(version))
    entries = manifest.get("files", [])
    if dataset_version(entries) != version:
        raise StoreError(f"the stored manifest of {version[:12]} does not match it")
    with scratch() as folder:
        root = folder / "dataset"
        (folder / "quarantine").mkdir()
        for entry in entries:
            path = safe_path(root, entry["path"])
            store.download(object_key(entry["sha256"]), path)
            if file_sha256(path) != entry["sha256"]:
                raise StoreError(
                    f"{object_key(entry['sha256'])} is damaged in the store "
                    f"({entry['path']}); push the version again from a good copy"
                )
        return finish(folder, manifest)
