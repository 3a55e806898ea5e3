"""`python -m data ingest SRC`: the real Food-11 images, in either layout.

Two layouts are accepted, and Food-11's own splits are kept:

- ImageFolder: ``SRC/{training,validation,evaluation}/class_XX/*.jpg``
- Kaggle Food-11: ``SRC/{training,validation,evaluation}/<class id>_<n>.jpg``,
  the class id (0-10) being the part of the name before the first ``_``.

SRC itself is only read: images are copied, and unreadable copies quarantined.
"""

import shutil
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS, NUM_CLASSES

from .dataset import finish, place
from .layout import (
    DataError,
    LabelledFile,
    fresh_dir,
    scan_imagefolder,
    scratch_dir,
    visible_children,
)
from .manifest import build_manifest
from .splits import SPLITS
from .validate import quarantine_unreadable

IMAGEFOLDER = "imagefolder"
FLAT = "food11-flat"
EXPECTED = (
    "expected training/, validation/ and evaluation/ folders holding either "
    f"class folders {CLASS_FOLDERS[0]} .. {CLASS_FOLDERS[-1]} (ImageFolder) or "
    "files named <class id>_<n>.jpg (the original Food-11 layout)"
)


def flat_class_index(name: str) -> int | None:
    """Class id encoded in a Food-11 file name (``3_120.jpg`` -> 3), if valid."""
    prefix, underscore, _ = name.partition("_")
    if not underscore or not prefix.isdigit():
        return None
    index = int(prefix)
    return index if index < NUM_CLASSES else None


def detect_layout(src: Path) -> str:
    """Which of the two layouts ``src`` uses, or `DataError` saying what is wrong."""
    if not src.exists():
        raise DataError(f"{src}: no such directory; {EXPECTED}")
    if not src.is_dir():
        raise DataError(f"{src}: not a directory; {EXPECTED}")
    missing = [split for split in SPLITS if not (src / split).is_dir()]
    if missing:
        raise DataError(
            f"{src}: matches neither layout, missing split folder(s) "
            f"{', '.join(missing)}; {EXPECTED}"
        )
    layouts = {}
    for split in SPLITS:
        children = visible_children(src / split)
        if any(child.is_dir() and child.name in CLASS_FOLDERS for child in children):
            layouts[split] = IMAGEFOLDER
        elif any(
            child.is_file() and flat_class_index(child.name) is not None
            for child in children
        ):
            layouts[split] = FLAT
        else:
            raise DataError(
                f"{src / split}: matches neither layout, it holds no class folder "
                f"and no <class id>_<n> image; {EXPECTED}"
            )
    if len(set(layouts.values())) > 1:
        described = ", ".join(f"{split}: {kind}" for split, kind in layouts.items())
        raise DataError(f"{src}: the splits use different layouts ({described})")
    return layouts[SPLITS[0]]


def scan_flat(src: Path) -> tuple[list[LabelledFile], list[dict[str, str]]]:
    """Files of the Food-11 layout, and those whose class cannot be told, with why."""
    labelled, skipped = [], []
    for split in SPLITS:
        for child in visible_children(src / split):
            relative = child.relative_to(src).as_posix()
            index = flat_class_index(child.name)
            if child.is_dir():
                skipped.append({"path": relative + "/", "reason": "unexpected folder"})
            elif index is None:
                skipped.append(
                    {
                        "path": relative,
                        "reason": "unknown class: the name does not start with a "
                        f"class id 0..{NUM_CLASSES - 1} followed by '_'",
                    }
                )
            else:
                labelled.append(LabelledFile(child, split, index, relative))
    return labelled, skipped


def ingest(src: Path) -> dict[str, Any]:
    """Copy, validate and publish the Food-11 images under ``src``; the manifest."""
    src = Path(src).expanduser().resolve()
    layout = detect_layout(src)
    found, skipped = scan_imagefolder(src) if layout == IMAGEFOLDER else scan_flat(src)
    scratch = fresh_dir(scratch_dir())
    try:
        copies = place(found, scratch / "dataset", move=False)
        readable, quarantined = quarantine_unreadable(
            [(copy, file.relative) for copy, file in zip(copies, found, strict=True)],
            scratch / "quarantine",
        )
        manifest = build_manifest(
            scratch / "dataset",
            readable,
            source="food11",
            seed=None,
            options={"layout": layout, "source_path": str(src)},
            quarantined=[entry.to_json() for entry in quarantined],
            skipped=skipped,
        )
        return finish(scratch, manifest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
