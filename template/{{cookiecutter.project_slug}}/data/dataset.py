"""Assembling a new dataset beside the current one, then swapping it in.

The dataset and its quarantine are built under the scratch folder and only
replace the current ones once complete, so a failed run leaves the previous
dataset intact and a successful one leaves no stale files behind.
"""

import shutil
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths

from .layout import DataError, LabelledFile, quarantine_dir
from .manifest import build_manifest, write_manifest
from .splits import SPLITS


def place(files: list[LabelledFile], root: Path, *, move: bool) -> list[Path]:
    """Copy (or move) each file to ``root/<split>/class_XX/<name>``."""
    placed = []
    for file in files:
        target = file.dataset_path(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            shutil.move(file.path, target)
        else:
            shutil.copyfile(file.path, target)
        placed.append(target)
    return placed


def publish(new_dataset: Path, target: Path) -> None:
    """Replace ``target`` with ``new_dataset``; nothing of the old one remains."""
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = target.with_name(target.name + ".previous")
    if previous.exists():
        shutil.rmtree(previous)
    if target.exists():
        target.rename(previous)
    new_dataset.rename(target)
    if previous.exists():
        shutil.rmtree(previous)


def finish(
    scratch: Path,
    files: list[Path],
    *,
    source: str,
    seed: int | None,
    options: dict[str, Any],
    quarantined: list[dict[str, str]],
    skipped: list[dict[str, str]],
) -> dict[str, Any]:
    """Check and hash ``scratch/dataset``; publish it and its quarantine.

    ``files`` are the dataset's images under ``scratch/dataset``; unreadable
    ones are expected under ``scratch/quarantine``. Writes the manifest and
    removes the scratch folder.
    """
    new_dataset = scratch / "dataset"
    manifest = build_manifest(
        new_dataset,
        files,
        source=source,
        seed=seed,
        options=options,
        quarantined=quarantined,
        skipped=skipped,
    )
    empty = [split for split in SPLITS if not sum(manifest["splits"][split].values())]
    if empty:
        raise DataError(
            f"no readable images left in split(s) {', '.join(empty)} "
            f"({len(quarantined)} quarantined, {len(skipped)} skipped); "
            f"the dataset at {paths.dataset_dir()} was left unchanged"
        )
    new_quarantine = scratch / "quarantine"
    new_quarantine.mkdir(parents=True, exist_ok=True)
    publish(new_dataset, paths.dataset_dir())
    publish(new_quarantine, quarantine_dir())
    write_manifest(manifest)
    shutil.rmtree(scratch)
    return manifest
