"""The manifest: what the dataset holds, by content hash, so a run can cite it.

Its ``version`` is a hash over every file's relative path and content hash: the
same images give the same version on any machine, and changing, adding or
removing one image changes it.
"""

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.hashing import file_sha256
from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS

from .splits import SPLITS


def manifest_path() -> Path:
    return paths.artifacts_dir() / "data" / "manifest.json"


def file_entries(root: Path, files: list[Path]) -> list[dict[str, Any]]:
    """Relative path, SHA-256 and size of every file, sorted by path."""
    entries = [
        {
            "path": file.relative_to(root).as_posix(),
            "sha256": file_sha256(file),
            "size": file.stat().st_size,
        }
        for file in files
    ]
    return sorted(entries, key=lambda entry: entry["path"])


def dataset_version(entries: list[dict[str, Any]]) -> str:
    """SHA-256 over the sorted (path, sha256) pairs."""
    digest = hashlib.sha256()
    for path, sha256 in sorted((entry["path"], entry["sha256"]) for entry in entries):
        digest.update(f"{path}\t{sha256}\n".encode())
    return digest.hexdigest()


def split_counts(entries: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Images per split and class; every class is listed, even with 0 images."""
    counts = {split: dict.fromkeys(CLASS_FOLDERS, 0) for split in SPLITS}
    for entry in entries:
        split, folder = entry["path"].split("/")[:2]
        counts[split][folder] += 1
    return counts


def build_manifest(
    root: Path,
    files: list[Path],
    *,
    source: str,
    seed: int | None,
    options: dict[str, Any],
    quarantined: list[dict[str, str]],
    skipped: list[dict[str, str]],
) -> dict[str, Any]:
    """The manifest of the dataset at ``root`` holding ``files``."""
    entries = file_entries(root, files)
    return {
        "version": dataset_version(entries),
        "source": source,
        "seed": seed,
        "options": options,
        "splits": split_counts(entries),
        "total": len(entries),
        "quarantined_count": len(quarantined),
        "quarantined": quarantined,
        "skipped_count": len(skipped),
        "skipped": skipped,
        "files": entries,
    }


def write_manifest(manifest: dict[str, Any], path: Path | None = None) -> Path:
    """Write atomically, so a reader never sees half a manifest."""
    path = path or manifest_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(partial, path)
    return path


def read_manifest(path: Path | None = None) -> dict[str, Any] | None:
    """The current manifest, or None when there is none (or it is unreadable)."""
    try:
        return json.loads((path or manifest_path()).read_text())
    except (OSError, json.JSONDecodeError):
        return None
