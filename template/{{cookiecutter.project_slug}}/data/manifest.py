"""The manifest: what the dataset holds, by content hash, so a run can cite it.

Its ``version`` is a hash over every file's relative path and content hash: the
same data gives the same version on any machine, and changing, adding or
removing one example changes it. ``splits`` counts examples per split and
label (classification) or rows per split (regression).
"""

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.hashing import file_sha256
from {{ cookiecutter.package_name }}.problem import SPLITS, Example, Spec

# The key of a regression split's count.
ROWS = "rows"


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


def split_counts(
    spec: Spec, splits: dict[str, list[Example]]
) -> dict[str, dict[str, int]]:
    """Examples per split and label (every label listed, even at 0), or rows."""
    counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        examples = splits.get(split, [])
        if spec.classification:
            counts[split] = dict.fromkeys(spec.labels, 0)
            for example in examples:
                counts[split][str(example.target)] += 1
        else:
            counts[split] = {ROWS: len(examples)}
    return counts


def build_manifest(
    root: Path,
    files: list[Path],
    *,
    spec: Spec,
    splits: dict[str, list[Example]],
    source: str,
    seed: int | None,
    options: dict[str, Any],
    quarantined: list[dict[str, str]],
    skipped: list[dict[str, str]],
) -> dict[str, Any]:
    """The manifest of the dataset at ``root``: ``files`` holding ``splits``."""
    entries = file_entries(root, files)
    counts = split_counts(spec, splits)
    return {
        "version": dataset_version(entries),
        "task": spec.task,
        "spec": spec.to_json(),
        "source": source,
        "seed": seed,
        "options": options,
        "splits": counts,
        "total": sum(sum(split.values()) for split in counts.values()),
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
    partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def read_manifest(path: Path | None = None) -> dict[str, Any] | None:
    """The current manifest, or None when there is none (or it is unreadable)."""
    try:
        return json.loads((path or manifest_path()).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
