"""`python -m data prepare`: the synthetic dataset, validated, split and hashed."""

import shutil
from typing import Any

from {{ cookiecutter.package_name }}.labels import class_index

from .dataset import finish, place
from .layout import LabelledFile, fresh_dir, scratch_dir
from .manifest import build_manifest
from .splits import stratified_split
from .synthetic import generate
from .validate import quarantine_unreadable

DEFAULT_PER_CLASS = 80
DEFAULT_SEED = 42
DEFAULT_IMAGE_SIZE = 64


def prepare(
    per_class: int = DEFAULT_PER_CLASS,
    seed: int = DEFAULT_SEED,
    image_size: int = DEFAULT_IMAGE_SIZE,
    corrupt: int = 0,
) -> dict[str, Any]:
    """Generate, validate, split and publish the synthetic dataset.

    Returns the manifest. The raw images are generated under the scratch
    folder; unreadable ones (see ``corrupt``) are quarantined, never fatal.
    """
    if image_size < 8:
        raise ValueError(f"image_size must be at least 8 pixels, got {image_size}")
    scratch = fresh_dir(scratch_dir())
    try:
        raw = scratch / "raw"
        written = generate(raw, per_class, seed, image_size, corrupt)
        readable, quarantined = quarantine_unreadable(
            [(path, path.relative_to(raw).as_posix()) for path in written],
            scratch / "quarantine",
        )
        by_class: dict[int, list] = {}
        for path in readable:
            by_class.setdefault(class_index(path.parent.name), []).append(path)
        labelled = [
            LabelledFile(path, split, index, path.relative_to(raw).as_posix())
            for split, classes in stratified_split(by_class, seed).items()
            for index, paths in classes.items()
            for path in paths
        ]
        files = place(labelled, scratch / "dataset", move=True)
        manifest = build_manifest(
            scratch / "dataset",
            files,
            source="synthetic",
            seed=seed,
            options={
                "per_class": per_class,
                "image_size": image_size,
                "corrupt": corrupt,
            },
            quarantined=[entry.to_json() for entry in quarantined],
            skipped=[],
        )
        return finish(scratch, manifest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
