"""The labelled photos of a dataset split, taken from every class in turn.

Shared by the data room's load generator, the serving smoke check and the
serving benchmark: the first few photos of the list already cover every class.
"""

from pathlib import Path

from . import paths
from .labels import CLASS_FOLDERS

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def labelled_photos(split: str, limit: int | None = None) -> list[tuple[Path, int]]:
    """(path, class index) of up to ``limit`` photos of ``split``, classes in turn."""
    root = paths.dataset_dir() / split
    per_class = [
        [
            (path, index)
            for path in sorted((root / folder).iterdir())
            if path.suffix.lower() in IMAGE_SUFFIXES
        ]
        if (root / folder).is_dir()
        else []
        for index, folder in enumerate(CLASS_FOLDERS)
    ]
    chosen: list[tuple[Path, int]] = []
    for rank in range(max((len(photos) for photos in per_class), default=0)):
        chosen += [photos[rank] for photos in per_class if rank < len(photos)]
    return chosen if limit is None else chosen[:limit]
