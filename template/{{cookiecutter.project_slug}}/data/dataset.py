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
from .manifest import write_manifest
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


def finish(scratch: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Publish ``scratch/dataset`` and its quarantine, then write ``manifest``.

    ``manifest`` describes ``scratch/dataset`` (`manifest.build_manifest`);
    unreadable images are expected under ``scratch/quarantine``. The caller
    removes the scratch folder.
    """
    empty = [split for split in SPLITS if not sum(manifest["splits"][split].values())]
    if empty:
        raise DataError(
            f"no readable images left in split(s) {', '.join(empty)} "
            f"({manifest['quarantined_count']} quarantined, "
            f"{manifest['skipped_count']} skipped); "
            f"the dataset at {paths.dataset_dir()} was left unchanged"
        )
    new_quarantine = scratch / "quarantine"
    new_quarantine.mkdir(parents=True, exist_ok=True)
    publish(scratch / "dataset", paths.dataset_dir())
    publish(new_quarantine, quarantine_dir())
    write_manifest(manifest)
    return manifest
