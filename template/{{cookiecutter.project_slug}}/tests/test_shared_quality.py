"""`quality`: metrics, the model-free baseline and the bar, for both kinds of model.

Quality knows only whether the spec has labels, so both a classifier's and a
regressor's are tested here whatever this project's task is.
"""

import pytest

from {{ cookiecutter.package_name }} import quality
from {{ cookiecutter.package_name }}.spec import Feature, Spec

CLASSIFIER = Spec("some-classification", labels=("ant", "bee", "cat"))
REGRESSOR = Spec(
    "some-regression", features=(Feature("distance", "number"),), target="minutes"
)


def test_the_primary_metric_and_its_direction():
    assert quality.primary_metric(CLASSIFIER) == ("accuracy", True)
    assert quality.primary_metric(REGRESSOR) == ("mae", False)


def test_classifier_accuracy_overall_and_per_class():
    targets = ["ant", "ant", "bee", "bee"]
    measured = quality.quality(CLASSIFIER, targets, ["ant", "bee", "bee", "bee"])
    assert measured == {
        "count": 4,
        "accuracy": 0.75,
        # "cat" is absent from the targets: it has no accuracy.
        "per_class_accuracy": {"ant": 0.5, "bee": 1.0, "cat": None},
    }
    with pytest.raises(ValueError, match="4 targets but 1 predictions"):
        quality.quality(CLASSIFIER, targets, ["ant"])


def test_classifier_baseline_is_the_training_majority_class():
    training = ["bee", "cat", "cat", "bee", "ant"]  # a tie: the first label listed
    base = quality.baseline(CLASSIFIER, training, ["bee", "ant", "cat", "bee"])
    assert base == {
        "name": "majority class",
        "prediction": "bee",
        "accuracy": 0.5,
        "chance": pytest.approx(1 / 3, abs=1e-6),
    }
    with pytest.raises(ValueError, match="training split is empty"):
        quality.baseline(CLASSIFIER, [], ["ant"])


def test_a_classifier_passes_above_the_bar_and_the_baseline():
    base = {"accuracy": 0.7}
    assert quality.passes(CLASSIFIER, {"accuracy": 0.8}, base, 0.6)
    assert not quality.passes(CLASSIFIER, {"accuracy": 0.65}, base, 0.6)  # baseline
    assert not quality.passes(CLASSIFIER, {"accuracy": 0.55}, {"accuracy": 0.1}, 0.6)


def test_regressor_errors_and_the_mean_predictor():
    measured = quality.quality(REGRESSOR, [10.0, 20.0, 30.0], [12.0, 20.0, 24.0])
    assert measured["count"] == 3
    assert measured["mae"] == pytest.approx(8 / 3, abs=1e-6)
    assert measured["rmse"] == pytest.approx((40 / 3) ** 0.5, abs=1e-6)
    base = quality.baseline(REGRESSOR, [10.0, 30.0], [10.0, 20.0, 30.0])
    assert base["name"] == "mean predictor" and base["prediction"] == 20.0
    assert base["mae"] == pytest.approx(20 / 3, abs=1e-6)


def test_a_regressor_passes_when_its_error_is_a_fraction_of_the_baseline():
    base = {"mae": 10.0}
    assert quality.passes(REGRESSOR, {"mae": 5.9}, base, 0.6)
    assert quality.passes(REGRESSOR, {"mae": 6.0}, base, 0.6)
    assert not quality.passes(REGRESSOR, {"mae": 6.1}, base, 0.6)
