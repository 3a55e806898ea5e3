from collections import Counter

import pytest

from {{ cookiecutter.package_name }}.problem import SPLITS, Example

from data.splits import (
    DEFAULT_FRACTIONS,
    FROM_SOURCE,
    SEEDED,
    assign_splits,
    seeded_split,
    split_sizes,
)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(80, (56, 12, 12)), (10, (6, 2, 2)), (3, (1, 1, 1)), (2, (2, 0, 0))],
)
def test_split_sizes(count, expected):
    sizes = split_sizes(count, DEFAULT_FRACTIONS)
    assert tuple(sizes[split] for split in SPLITS) == expected


def test_a_split_without_a_share_gets_nothing():
    sizes = split_sizes(10, {"training": 0.85, "validation": 0.0, "evaluation": 0.15})
    assert sizes == {"training": 8, "validation": 0, "evaluation": 2}


def labelled(per_label: int, labels: str = "abcd") -> list[Example]:
    return [
        Example(f"input {label}{i}", label, f"{label}/{i}")
        for label in labels
        for i in range(per_label)
    ]


def origins(examples: list[Example]) -> list[str]:
    return [example.origin for example in examples]


def test_stratified_splits_keep_every_label_balanced_disjoint_and_complete():
    given = labelled(20)
    result = seeded_split(given, seed=1, stratify=True)
    for split, size in zip(SPLITS, (14, 3, 3), strict=True):
        assert Counter(e.target for e in result[split]) == dict.fromkeys("abcd", size)
        assert all(example.split == split for example in result[split])
    placed = [origin for split in SPLITS for origin in origins(result[split])]
    assert sorted(placed) == sorted(origins(given))


def test_unstratified_splits_cut_the_whole_set_once():
    rows = [Example(i, float(i), f"rows.csv:{i}") for i in range(20)]
    result = seeded_split(rows, seed=1, stratify=False)
    assert [len(result[split]) for split in SPLITS] == [14, 3, 3]
    placed = [origin for split in SPLITS for origin in origins(result[split])]
    assert sorted(placed) == sorted(origins(rows))


def test_splits_depend_on_the_seed_not_the_listing_order():
    given = labelled(20)

    def split_origins(examples, seed):
        result = seeded_split(examples, seed, stratify=True)
        return {split: sorted(origins(result[split])) for split in SPLITS}

    assert split_origins(given, 1) == split_origins(list(reversed(given)), 1)
    assert split_origins(given, 1) != split_origins(given, 2)


def test_a_source_that_splits_every_example_keeps_its_splits():
    given = [
        Example("x", "a", f"{split}/{i}", split) for split in SPLITS for i in range(2)
    ]
    result, how = assign_splits(given, seed=1, stratify=True)
    assert how == FROM_SOURCE
    for split in SPLITS:
        assert origins(result[split]) == [f"{split}/0", f"{split}/1"]


def test_a_held_out_split_the_source_lacks_is_carved_from_its_training_split():
    given = [
        Example("x", label, f"{split}/{label}{i}", split)
        for split in ("training", "validation")
        for label in "ab"
        for i in range(20)
    ]
    result, how = assign_splits(given, seed=1, stratify=True)
    assert how == "source; evaluation seeded from training"
    assert origins(result["validation"]) == [
        e.origin for e in given if e.split == "validation"
    ]
    for split, size in (("training", 17), ("evaluation", 3)):
        assert Counter(e.target for e in result[split]) == {"a": size, "b": size}
        assert all(e.origin.startswith("training/") for e in result[split])
        assert all(e.split == split for e in result[split])


@pytest.mark.parametrize("missing", [None, "test"])
def test_a_source_that_splits_only_some_examples_is_split_afresh(missing):
    given = labelled(10)
    given[0] = Example("y", "a", "odd", missing)
    result, how = assign_splits(given, seed=1, stratify=True)
    assert how == SEEDED
    assert sum(len(result[split]) for split in SPLITS) == len(given)
    assert [len(result[split]) for split in SPLITS] == [24, 8, 8]
