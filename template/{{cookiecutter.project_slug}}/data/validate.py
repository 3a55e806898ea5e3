"""`python -m data validate`: re-check the current dataset, quarantining what broke.

Every stored example is read back (`problem.read_split`) and decoded
(`problem.load_input`), as training will. Those that no longer load are
quarantined with the reason; files in the dataset folder that are no part of
it (a stray note, a file dropped into the wrong folder) are quarantined too
and listed as skipped. The dataset is then rewritten and republished with
the same splits, so a dataset that is still whole keeps its version.
"""

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.problem import SPLITS, ProblemDataError, Rejected, Source

from .dataset import Staged, finish, scratch, stage
from .layout import example_content, keep_rejected, quarantine_dir
from .manifest import build_manifest, read_manifest

STRAY_REASON = "not part of the dataset: the problem's read_split does not read it"


def read_current(root: Path) -> Source:
    """The dataset at ``root`` as a source: loadable examples, and the rest."""
    if not root.is_dir():
        raise ProblemDataError(
            f"{root}: no dataset yet; run `python -m data prepare` or "
            "`python -m data ingest PATH` first"
        )
    spec = problem.read_spec(root)
    source = Source(spec)
    for split in SPLITS:
        for stored in problem.read_split(root / split, spec):
            example = replace(stored, split=split)
            try:
                problem.load_input(example)
            except ProblemDataError as error:
                reason = str(error).removeprefix(f"{example.origin}: ")
                content = example_content(example)
                source.rejected.append(Rejected(example.origin, reason, content))
            else:
                source.examples.append(example)
    return source


def strays(old_root: Path, staged: Staged, rejected: list[Rejected]) -> list[Rejected]:
    """Files of the old dataset that are neither rewritten nor a rejected example."""
    claimed = {file.relative_to(staged.root).as_posix() for file in staged.files}
    claimed |= {entry.origin for entry in rejected}
    found = []
    for file in sorted(old_root.rglob("*")):
        relative = file.relative_to(old_root).as_posix()
        if file.is_file() and relative not in claimed:
            found.append(Rejected(relative, STRAY_REASON, file.read_bytes()))
    return found


def revalidate() -> dict[str, Any]:
    """Check and republish the current dataset; the rewritten manifest.

    What the manifest said about the source (where from, seed, options, what
    was quarantined or skipped before) is kept.
    """
    root = paths.dataset_dir()
    source = read_current(root)
    previous = read_manifest() or {}
    with scratch() as folder:
        if quarantine_dir().is_dir():
            shutil.copytree(quarantine_dir(), folder / "quarantine")
        # The stored splits stay as they are: checking never re-splits.
        staged = stage(source, 0, folder, carve=False)
        skipped = [
            keep_rejected(stray, folder / "quarantine")
            for stray in strays(root, staged, source.rejected)
        ]
        manifest = build_manifest(
            staged.root,
            staged.files,
            spec=staged.spec,
            splits=staged.splits,
            source=previous.get("source", "unknown"),
            seed=previous.get("seed"),
            options=previous.get("options", {}),
            quarantined=[*previous.get("quarantined", []), *staged.quarantined],
            skipped=[*previous.get("skipped", []), *skipped],
        )
        return finish(folder, manifest)
