"""The dataset on disk: where things live and how an ImageFolder tree is read."""

import shutil
from dataclasses import dataclass
from pathlib import Path

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS, class_folder

from .splits import SPLITS


class DataError(Exception):
    """Input the data room cannot use; the message says which path and why."""


@dataclass(frozen=True)
class LabelledFile:
    """An image file with its split, class and path relative to its source root."""

    path: Path
    split: str
    class_index: int
    relative: str

    def dataset_path(self, root: Path) -> Path:
        """Where this file belongs under an ImageFolder root."""
        return root / self.split / class_folder(self.class_index) / self.path.name


def data_root() -> Path:
    return paths.artifacts_dir() / "data"


def quarantine_dir() -> Path:
    """Unreadable images, kept under their original relative paths."""
    return data_root() / "quarantine"


def scratch_dir() -> Path:
    """Where a new dataset is assembled before it replaces the current one."""
    return data_root() / "build"


def fresh_dir(path: Path) -> Path:
    """An empty directory at ``path``, whatever was there before."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def visible_children(folder: Path) -> list[Path]:
    """Entries of ``folder``, without hidden files such as .DS_Store."""
    return sorted(child for child in folder.iterdir() if not child.name.startswith("."))


def scan_imagefolder(
    root: Path,
) -> tuple[list[LabelledFile], list[dict[str, str]]]:
    """Files of ``root/<split>/class_XX/``, and everything else found, with why.

    Files outside a known class folder are returned as skipped entries rather
    than dropped, so the caller can report them.
    """
    labelled, skipped = [], []
    for split in SPLITS:
        split_dir = root / split
        if not split_dir.is_dir():
            continue
        for child in visible_children(split_dir):
            relative = child.relative_to(root).as_posix()
            if child.is_dir() and child.name in CLASS_FOLDERS:
                class_index = CLASS_FOLDERS.index(child.name)
                for file in visible_children(child):
                    file_relative = file.relative_to(root).as_posix()
                    if file.is_file():
                        labelled.append(
                            LabelledFile(file, split, class_index, file_relative)
                        )
                    else:
                        skipped.append(
                            {"path": file_relative + "/", "reason": "nested folder"}
                        )
            elif child.is_dir():
                count = sum(1 for file in child.rglob("*") if file.is_file())
                skipped.append(
                    {
                        "path": relative + "/",
                        "reason": f"unknown class folder '{child.name}' holding "
                        f"{count} file(s); expected {CLASS_FOLDERS[0]} .. "
                        f"{CLASS_FOLDERS[-1]}",
                    }
                )
            else:
                skipped.append(
                    {"path": relative, "reason": "not inside a class folder"}
                )
    return labelled, skipped
