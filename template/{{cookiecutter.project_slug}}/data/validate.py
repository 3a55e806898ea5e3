"""Finding unreadable images and moving them aside, without stopping the run."""

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.preprocessing import UnreadableImageError, open_image

from .layout import DataError, quarantine_dir, scan_imagefolder
from .manifest import build_manifest, read_manifest, write_manifest


@dataclass(frozen=True)
class Quarantined:
    """An image that could not be decoded: where it came from and why it failed."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def unreadable_reason(path: Path) -> str | None:
    """Why ``path`` is not a usable image, or None when it decodes."""
    if path.stat().st_size == 0:
        return "empty file (0 bytes)"
    try:
        open_image(path)
    except UnreadableImageError as error:
        return str(error)
    return None


def quarantine_target(quarantine_dir: Path, relative: str) -> Path:
    """Where a bad file goes; never overwrites an earlier quarantined file."""
    target = quarantine_dir / relative
    copy = 1
    while target.exists():
        target = quarantine_dir / f"{relative}.{copy}"
        copy += 1
    return target


def quarantine_unreadable(
    files: list[tuple[Path, str]], quarantine_dir: Path
) -> tuple[list[Path], list[Quarantined]]:
    """Decode every file; move the unreadable ones to ``quarantine_dir``.

    ``files`` pairs each file with the relative path to report and to keep
    under the quarantine folder. Returns the readable files and what was
    quarantined.
    """
    readable, quarantined = [], []
    for path, relative in files:
        reason = unreadable_reason(path)
        if reason is None:
            readable.append(path)
            continue
        # Name the file as the caller knows it, not by a scratch copy's path.
        reason = reason.replace(str(path), relative)
        target = quarantine_target(quarantine_dir, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        quarantined.append(Quarantined(relative, reason))
    return readable, quarantined


def revalidate() -> dict[str, Any]:
    """`python -m data validate`: check the current dataset in place.

    Unreadable images are quarantined under their dataset-relative paths and
    the manifest is rewritten; what it said about the source is kept.
    """
    root = paths.dataset_dir()
    if not root.is_dir():
        raise DataError(
            f"{root}: no dataset yet; run `python -m data prepare` or "
            "`python -m data ingest SRC` first"
        )
    found, skipped = scan_imagefolder(root)
    readable, quarantined = quarantine_unreadable(
        [(file.path, file.relative) for file in found], quarantine_dir()
    )
    previous = read_manifest() or {}
    manifest = build_manifest(
        root,
        readable,
        source=previous.get("source", "unknown"),
        seed=previous.get("seed"),
        options=previous.get("options", {}),
        quarantined=[
            *previous.get("quarantined", []),
            *(entry.to_json() for entry in quarantined),
        ],
        # What ingest could not place stays on record next to what this scan found.
        skipped=[
            *previous.get("skipped", []),
            *(entry for entry in skipped if entry not in previous.get("skipped", [])),
        ],
    )
    write_manifest(manifest)
    return manifest
