import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from {{ cookiecutter.package_name }}.contract import decode_image
from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS, NUM_CLASSES
from {{ cookiecutter.package_name }}.paths import contracts_dir
from {{ cookiecutter.package_name }}.preprocessing import UnreadableImageError, open_image

from data import synthetic


def file_bytes(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*.jpg"))
    }


def test_same_seed_gives_identical_files_and_another_seed_different_ones(tmp_path):
    synthetic.generate(tmp_path / "a", per_class=3, seed=5)
    synthetic.generate(tmp_path / "b", per_class=3, seed=5)
    synthetic.generate(tmp_path / "c", per_class=3, seed=6)
    first, again, other = (file_bytes(tmp_path / name) for name in "abc")
    assert len(first) == 3 * NUM_CLASSES
    assert first == again
    assert first.keys() == other.keys()
    assert all(first[name] != other[name] for name in first)


def test_generates_one_folder_per_class_of_real_jpegs(tmp_path):
    written = synthetic.generate(tmp_path, per_class=2, seed=1, size=48)
    assert sorted(p.name for p in tmp_path.iterdir()) == list(CLASS_FOLDERS)
    for path in written:
        with Image.open(path) as image:
            assert image.format == "JPEG"
            assert image.size == (48, 48)


def test_images_are_not_flat_colours_and_vary_within_a_class():
    images = [np.asarray(synthetic.render_image(4, 0, i), np.float32) for i in range(5)]
    for pixels in images:
        assert pixels.std(axis=(0, 1)).mean() > 10
    assert all(np.abs(images[0] - other).mean() > 10 for other in images[1:])


def test_classes_carry_a_signal_a_simple_classifier_finds():
    """Nearest mean colour, fitted on one seed, beats chance on another."""

    def mean_colour(class_index: int, seed: int, index: int) -> np.ndarray:
        pixels = np.asarray(synthetic.render_image(class_index, seed, index, 32))
        return pixels.reshape(-1, 3).mean(axis=0)

    centroids = np.stack(
        [
            np.mean([mean_colour(c, 1, i) for i in range(10)], axis=0)
            for c in range(NUM_CLASSES)
        ]
    )
    correct = 0
    for class_index in range(NUM_CLASSES):
        for index in range(5):
            colour = mean_colour(class_index, 2, index)
            guess = np.argmin(np.linalg.norm(centroids - colour, axis=1))
            correct += int(guess == class_index)
    assert correct / (5 * NUM_CLASSES) > 3 / NUM_CLASSES


@pytest.mark.parametrize("kind", synthetic.CORRUPTIONS)
def test_corrupt_files_are_really_unreadable(kind):
    with pytest.raises(UnreadableImageError):
        open_image(synthetic.corrupt_bytes(kind, seed=0, index=0))


def test_contract_sample_file_decodes_to_the_generators_dessert():
    text = (contracts_dir() / "input.sample.json").read_text()
    assert text.endswith("}\n")
    body = json.loads(text)
    assert list(body) == ["image"]
    sample = decode_image(body["image"])
    assert sample.size == (64, 64)
    # Compared by pixels, not bytes: another libjpeg may encode slightly
    # differently, but the file must still be this generator's sample.
    regenerated = open_image(synthetic.contract_sample_jpeg())
    assert regenerated.size == (64, 64)
    difference = np.abs(
        np.asarray(sample, np.float32) - np.asarray(regenerated, np.float32)
    )
    assert difference.mean() < 2


def test_write_contract_sample_writes_the_request_body(tmp_path):
    written = synthetic.write_contract_sample(tmp_path / "sample.json")
    text = written.read_text()
    assert text.startswith('{\n  "image": "')
    # The template renders every file with Jinja; these would break rendering.
    assert "{" + "{" not in text
    assert "{" + "%" not in text
    assert decode_image(json.loads(text)["image"]).size == (64, 64)
