"""`photos.labelled_photos`: the photos of a split, every class in turn."""

from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS
from {{ cookiecutter.package_name }}.photos import labelled_photos


def write_split(root, counts: dict[int, int]) -> None:
    for index, count in counts.items():
        folder = root / "data" / "dataset" / "evaluation" / CLASS_FOLDERS[index]
        folder.mkdir(parents=True)
        for number in range(count):
            (folder / f"{number}.jpg").write_bytes(b"jpeg")
        (folder / "notes.txt").write_text("not a photo")


def test_classes_take_turns_and_the_limit_keeps_the_first(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path))
    write_split(tmp_path, {0: 3, 4: 1, 7: 2})
    photos = labelled_photos("evaluation")
    assert [(path.name, index) for path, index in photos] == [
        ("0.jpg", 0),
        ("0.jpg", 4),
        ("0.jpg", 7),
        ("1.jpg", 0),
        ("1.jpg", 7),
        ("2.jpg", 0),
    ]
    assert labelled_photos("evaluation", 2) == photos[:2]


def test_a_missing_split_has_no_photos(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path))
    assert labelled_photos("evaluation") == []
