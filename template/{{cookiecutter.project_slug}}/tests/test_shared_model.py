"""Labels, preprocessing, features and the model's checkpoint format."""

import numpy as np
import pytest
import torch
from PIL import Image

from {{ cookiecutter.package_name }} import features, labels, model, preprocessing


def test_eleven_food11_classes_with_folder_names():
    assert labels.NUM_CLASSES == 11
    assert (
        labels.class_folder(0) == "class_00" and labels.class_folder(10) == "class_10"
    )
    assert labels.class_index("class_07") == 7
    with pytest.raises(ValueError, match="not a class folder"):
        labels.class_index("Rice")
    with pytest.raises(ValueError, match="outside"):
        labels.class_folder(11)


def test_preprocessing_normalizes_to_chw():
    array = preprocessing.to_array(Image.new("RGB", (50, 30), (255, 255, 255)), 16)
    assert array.shape == (3, 16, 16) and array.dtype == np.float32
    expected = (1.0 - preprocessing.IMAGENET_MEAN) / preprocessing.IMAGENET_STD
    assert np.allclose(array[:, 0, 0], expected, atol=1e-5)


def test_unreadable_bytes_raise_a_specific_error(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.raises(preprocessing.UnreadableImageError):
        preprocessing.open_image(broken)


def test_features_track_brightness():
    dark = features.image_features(Image.new("RGB", (8, 8), (10, 10, 10)))
    light = features.image_features(Image.new("RGB", (8, 8), (240, 240, 240)))
    assert set(dark) == set(features.FEATURE_NAMES)
    assert dark["brightness"] < 0.1 < 0.9 < light["brightness"]
    assert dark["contrast"] == pytest.approx(0.0, abs=1e-6)


def test_small_cnn_outputs_one_score_per_class():
    net = model.build_model("small_cnn")
    scores = net(torch.zeros(2, 3, 64, 64))
    assert scores.shape == (2, labels.NUM_CLASSES)
    probabilities = model.predict_probabilities(net.eval(), torch.zeros(1, 3, 64, 64))
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(1))


def test_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="unknown arch 'resnet'"):
        model.build_model("resnet")


def test_checkpoint_round_trip_keeps_weights_and_metadata(tmp_path):
    torch.manual_seed(0)
    net = model.build_model("small_cnn").eval()
    path = model.save_checkpoint(
        tmp_path / "m.pt", net, arch="small_cnn", image_size=64, extra={"acc": 0.5}
    )
    loaded, metadata = model.load_checkpoint(path)
    batch = torch.randn(3, 3, 64, 64)
    assert torch.allclose(loaded(batch), net(batch))
    assert metadata["arch"] == "small_cnn" and metadata["image_size"] == 64
    assert metadata["extra"] == {"acc": 0.5} and "state_dict" not in metadata
    assert not list(tmp_path.glob("*.partial")), "the write is atomic"


def test_checkpoint_with_other_labels_is_refused(tmp_path):
    net = model.build_model("small_cnn")
    path = model.save_checkpoint(
        tmp_path / "m.pt", net, arch="small_cnn", image_size=64
    )
    payload = torch.load(path, weights_only=True)
    payload["labels"] = list(reversed(payload["labels"]))
    torch.save(payload, path)
    with pytest.raises(ValueError, match="labels differ"):
        model.load_checkpoint(path)
