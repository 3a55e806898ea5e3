"""Offline evaluation: per-class accuracy, the monitoring reference, the gate."""

import json

import pytest

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.features import FEATURE_NAMES
from {{ cookiecutter.package_name }}.labels import LABELS
from {{ cookiecutter.package_name }}.model import build_model, save_checkpoint

from training import evaluate
from training.train import train

EVALUATION_IMAGES = 4 * len(LABELS)


@pytest.fixture
def trained(artifacts, tiny_config):
    (artifacts / "data" / "manifest.json").write_text('{"version": "v-test"}')
    return train(tiny_config())


def test_evaluation_writes_per_class_accuracy_and_passes_a_learned_model(
    trained, capsys
) -> None:
    assert evaluate.main([]) == 0
    printed = capsys.readouterr().out
    assert "quality gate passed" in printed
    assert all(label in printed for label in LABELS)

    document = json.loads((paths.metrics_dir() / "evaluation.json").read_text())
    assert list(document["per_class_accuracy"]) == list(LABELS)
    assert all(0 <= value <= 1 for value in document["per_class_accuracy"].values())
    assert document["count"] == EVALUATION_IMAGES
    assert document["accuracy"] >= 0.6
    mean_per_class = sum(document["per_class_accuracy"].values()) / len(LABELS)
    # Balanced split: overall accuracy is the mean of the per-class accuracies.
    assert document["accuracy"] == pytest.approx(mean_per_class, abs=1e-5)
    assert document["baseline_accuracy"] == pytest.approx(1 / len(LABELS))
    assert document["model"] == str(paths.latest_model_path())
    assert document["dataset_version"] == "v-test"
    assert document["min_accuracy"] == 0.6
    assert document["passed"] is True


def test_evaluation_writes_the_monitoring_reference(trained) -> None:
    assert evaluate.main([]) == 0
    reference = json.loads(paths.reference_path().read_text())
    assert set(reference) == {
        "source", "dataset_version", "count", "features", "predictions", "confidence",
    }  # fmt: skip
    assert reference["source"] == "evaluation split"
    assert reference["dataset_version"] == "v-test"
    assert reference["count"] == EVALUATION_IMAGES
    assert list(reference["features"]) == list(FEATURE_NAMES)
    for values in reference["features"].values():
        assert len(values) == EVALUATION_IMAGES
        assert all(isinstance(v, float) and 0 <= v <= 1 for v in values)
    assert list(reference["predictions"]) == list(LABELS)
    assert sum(reference["predictions"].values()) == pytest.approx(1, abs=1e-4)
    assert len(reference["confidence"]) == EVALUATION_IMAGES
    assert all(1 / len(LABELS) <= p <= 1 for p in reference["confidence"])


def test_a_model_that_has_not_learned_fails_the_quality_gate(artifacts, capsys) -> None:
    untrained = build_model("small_cnn")
    save_checkpoint(
        paths.latest_model_path(), untrained, arch="small_cnn", image_size=32
    )
    assert evaluate.main([]) == 1
    assert "quality gate failed" in capsys.readouterr().err
    document = json.loads((paths.metrics_dir() / "evaluation.json").read_text())
    assert document["accuracy"] < 0.6
    assert document["passed"] is False
    # Without a recorded baseline it is counted on the training split.
    assert document["baseline_class"] == LABELS[0]

    # The bar comes from the config, so an override moves it.
    assert evaluate.main(["min_accuracy=0"]) == 0


def test_no_model_means_exit_code_2(artifacts, capsys) -> None:
    assert evaluate.main([]) == 2
    assert "no model at" in capsys.readouterr().err
