"""Assembling a new dataset beside the current one, then swapping it in.

Every command goes the same way: rejected input is kept in quarantine, the
examples are split, each split is written by the problem's `write_split`, the
spec is written beside them, the manifest hashes what was written. All of it
is built under the scratch folder and only replaces the current dataset once
complete, so a failed run leaves the previous dataset intact and a successful
one leaves no stale files behind.
"""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.problem import (
    SPLITS,
    Example,
    ProblemDataError,
    Source,
    Spec,
)

from .layout import fresh_dir, keep_rejected, quarantine_dir, scratch_dir
from .manifest import build_manifest, write_manifest
from .splits import assign_splits


@dataclass(frozen=True)
class Provenance:
    """Where a dataset came from, as the manifest records it."""

    source: str  # "synthetic", "ingested", ...
    seed: int | None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Staged:
    """A dataset written under the scratch folder, not yet published."""

    spec: Spec
    root: Path  # the new dataset's folder
    splits: dict[str, list[Example]]
    files: list[Path]  # every file written, the spec included
    quarantined: list[dict[str, str]]
    how_split: str  # how the splits were made (`splits.assign_splits`)


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh scratch folder, removed afterwards whatever happens."""
    folder = fresh_dir(scratch_dir())
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stage(source: Source, seed: int, folder: Path, *, carve: bool = True) -> Staged:
    """Quarantine ``source``'s rejected input, split and write its examples.

    Quarantined content goes to ``folder/quarantine``, the dataset to
    ``folder/dataset``: one folder per split (`problem.write_split`) and the
    spec (`problem.write_spec`), written last. ``carve``: see `assign_splits`.
    """
    quarantine = folder / "quarantine"
    quarantine.mkdir(parents=True, exist_ok=True)
    quarantined = [keep_rejected(rejected, quarantine) for rejected in source.rejected]
    splits, how_split = assign_splits(
        source.examples, seed, stratify=source.spec.classification, carve=carve
    )
    root = folder / "dataset"
    files = []
    for split in SPLITS:
        if splits[split]:
            files += problem.write_split(splits[split], root / split, source.spec)
    files.append(problem.write_spec(source.spec, root))
    return Staged(source.spec, root, splits, files, quarantined, how_split)


def publish(new: Path, target: Path) -> None:
    """Replace ``target`` with ``new``; nothing of the old one remains."""
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = target.with_name(target.name + ".previous")
    if previous.exists():
        shutil.rmtree(previous)
    if target.exists():
        target.rename(previous)
    new.rename(target)
    if previous.exists():
        shutil.rmtree(previous)


def finish(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Publish ``folder/dataset`` and ``folder/quarantine``, then write ``manifest``.

    Refuses (`ProblemDataError`, nothing replaced) when a split is left
    without examples: training, tuning and evaluation each need some.
    """
    empty = [split for split in SPLITS if not sum(manifest["splits"][split].values())]
    if empty:
        raise ProblemDataError(
            f"no usable examples left in split(s) {', '.join(empty)} "
            f"({manifest['quarantined_count']} quarantined, "
            f"{manifest['skipped_count']} skipped): too few examples to split, "
            "or a split the source gives is empty; "
            f"the dataset at {paths.dataset_dir()} was left unchanged"
        )
    publish(folder / "dataset", paths.dataset_dir())
    publish(folder / "quarantine", quarantine_dir())
    write_manifest(manifest)
    return manifest


def make_dataset(source: Source, provenance: Provenance, seed: int) -> dict[str, Any]:
    """Stage ``source`` (splitting with ``seed`` if it has no splits), publish it.

    Returns the manifest. The previous quarantine is replaced: it described
    the previous source.
    """
    with scratch() as folder:
        staged = stage(source, seed, folder)
        manifest = build_manifest(
            staged.root,
            staged.files,
            spec=staged.spec,
            splits=staged.splits,
            source=provenance.source,
            seed=provenance.seed,
            options={**provenance.options, "splits": staged.how_split},
            quarantined=staged.quarantined,
            skipped=[],
        )
        return finish(folder, manifest)
