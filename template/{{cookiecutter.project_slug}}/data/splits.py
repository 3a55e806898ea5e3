"""Seeded, stratified training/validation/evaluation splits."""

import random
from pathlib import Path

SPLITS: tuple[str, ...] = ("training", "validation", "evaluation")
DEFAULT_FRACTIONS: dict[str, float] = {
    "training": 0.70,
    "validation": 0.15,
    "evaluation": 0.15,
}


def split_sizes(count: int, fractions: dict[str, float]) -> dict[str, int]:
    """How many of ``count`` items each split gets; training takes the rest.

    Every split gets at least one item when there are enough to go round, so
    each class can be validated and evaluated.
    """
    held_out = {}
    for split in SPLITS[1:]:
        wanted = round(count * fractions[split])
        held_out[split] = max(wanted, 1) if count >= len(SPLITS) else wanted
    training = count - sum(held_out.values())
    if training < 0:
        raise ValueError(f"fractions {fractions} leave no room for training")
    return {SPLITS[0]: training, **held_out}


def stratified_split(
    files_by_class: dict[int, list[Path]],
    seed: int,
    fractions: dict[str, float] = DEFAULT_FRACTIONS,
) -> dict[str, dict[int, list[Path]]]:
    """Split each class's files separately, so every split keeps the class balance.

    Files are sorted before shuffling, so the result depends only on the seed
    and the files, not on the order a directory listing returned them in.
    """
    if set(fractions) != set(SPLITS):
        raise ValueError(f"fractions must name exactly the splits {SPLITS}")
    result: dict[str, dict[int, list[Path]]] = {split: {} for split in SPLITS}
    for class_index in sorted(files_by_class):
        files = sorted(files_by_class[class_index])
        random.Random(f"{seed}:{class_index}").shuffle(files)
        start = 0
        for split, size in split_sizes(len(files), fractions).items():
            result[split][class_index] = files[start : start + size]
            start += size
    return result
