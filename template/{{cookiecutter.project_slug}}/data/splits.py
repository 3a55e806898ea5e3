"""Seeded training/validation/evaluation splits, stratified by label if any."""

import random
from dataclasses import replace

from {{ cookiecutter.package_name }}.problem import SPLITS, Example

DEFAULT_FRACTIONS: dict[str, float] = {
    "training": 0.70,
    "validation": 0.15,
    "evaluation": 0.15,
}
# How a dataset got its splits, as the manifest records it.
FROM_SOURCE = "source"
SEEDED = "seeded"


def split_sizes(count: int, fractions: dict[str, float]) -> dict[str, int]:
    """How many of ``count`` items each split gets; training takes the rest.

    Every split with a share gets at least one item when there are enough to
    go round, so each class can be validated and evaluated.
    """
    held_out = {}
    for split in SPLITS[1:]:
        wanted = round(count * fractions[split])
        enough = count >= len(SPLITS) and fractions[split] > 0
        held_out[split] = max(wanted, 1) if enough else wanted
    training = count - sum(held_out.values())
    if training < 0:
        raise ValueError(f"fractions {fractions} leave no room for training")
    return {SPLITS[0]: training, **held_out}


def seeded_split(
    examples: list[Example],
    seed: int,
    *,
    stratify: bool,
    fractions: dict[str, float] = DEFAULT_FRACTIONS,
) -> dict[str, list[Example]]:
    """Split ``examples`` at random, but the same way for the same seed.

    With ``stratify`` each label is split on its own, so every split keeps the
    class balance; without, the examples are split as one group (regression).
    Examples are sorted by origin before shuffling, so the result depends only
    on the seed and the examples, not on the order a source listed them in.
    """
    if set(fractions) != set(SPLITS):
        raise ValueError(f"fractions must name exactly the splits {SPLITS}")
    groups: dict[str, list[Example]] = {}
    for example in examples:
        key = str(example.target) if stratify else ""
        groups.setdefault(key, []).append(example)
    result: dict[str, list[Example]] = {split: [] for split in SPLITS}
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda example: example.origin)
        random.Random(f"{seed}:{key}").shuffle(group)
        start = 0
        for split, size in split_sizes(len(group), fractions).items():
            result[split] += [
                replace(e, split=split) for e in group[start : start + size]
            ]
            start += size
    return result


def assign_splits(
    examples: list[Example], seed: int, *, stratify: bool, carve: bool = True
) -> tuple[dict[str, list[Example]], str]:
    """The splits to write, and how they were made (the manifest's record).

    A source that gives every example a split keeps its splits (a published
    dataset's own evaluation split stays the evaluation split); a held-out
    split it lacks (a folder of training/ and validation/ only) is carved out
    of its training split with ``seed`` (unless ``carve`` is false: the
    dataset is being checked, not made). Otherwise all examples are split
    afresh with ``seed``.
    """
    if not examples or not all(example.split in SPLITS for example in examples):
        return seeded_split(examples, seed, stratify=stratify), SEEDED
    given: dict[str, list[Example]] = {split: [] for split in SPLITS}
    for example in examples:
        given[str(example.split)].append(example)
    missing = [split for split in SPLITS[1:] if not given[split]]
    if not missing or not carve:
        return given, FROM_SOURCE
    shares = {
        split: DEFAULT_FRACTIONS[split] if split in missing else 0.0 for split in SPLITS
    }
    carved = seeded_split(given[SPLITS[0]], seed, stratify=stratify, fractions=shares)
    given.update({split: carved[split] for split in (SPLITS[0], *missing)})
    return given, f"{FROM_SOURCE}; {', '.join(missing)} {SEEDED} from training"
