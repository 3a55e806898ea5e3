from pathlib import Path

import pytest

from data.splits import DEFAULT_FRACTIONS, SPLITS, split_sizes, stratified_split


@pytest.mark.parametrize(
    ("count", "expected"),
    [(80, (56, 12, 12)), (10, (6, 2, 2)), (3, (1, 1, 1)), (2, (2, 0, 0))],
)
def test_split_sizes(count, expected):
    sizes = split_sizes(count, DEFAULT_FRACTIONS)
    assert tuple(sizes[split] for split in SPLITS) == expected


def files_by_class(per_class: int) -> dict[int, list[Path]]:
    return {
        c: [Path(f"class_{c:02d}/img_{i}.jpg") for i in range(per_class)]
        for c in range(4)
    }


def test_splits_are_stratified_disjoint_and_complete():
    given = files_by_class(20)
    result = stratified_split(given, seed=1)
    for class_index, files in given.items():
        parts = [set(result[split][class_index]) for split in SPLITS]
        assert [len(part) for part in parts] == [14, 3, 3]
        assert set.union(*parts) == set(files)
        assert sum(len(part) for part in parts) == len(files)


def test_splits_depend_on_the_seed_not_the_listing_order():
    given = files_by_class(20)
    shuffled = {c: list(reversed(files)) for c, files in given.items()}
    assert stratified_split(given, seed=1) == stratified_split(shuffled, seed=1)
    assert stratified_split(given, seed=1) != stratified_split(given, seed=2)
