"""Offline evaluation: the quality figures, the monitoring reference, the gate."""

import json
import math
import shutil
from dataclasses import replace

import pytest

from {{ cookiecutter.package_name }} import paths, problem, quality
from {{ cookiecutter.package_name }}.model import save_checkpoint
from {{ cookiecutter.package_name }}.spec import read_spec, write_spec

from training import compare, evaluate
from training.config import DEFAULT_CONFIG_PATH, load_config
from training.datasets import read_examples
from training.train import train


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory, tiny_dataset, tiny_overrides):
    """One tiny training run, shared by this module's tests: its artifacts."""
    root = tmp_path_factory.mktemp("trained") / "artifacts"
    shutil.copytree(tiny_dataset, root / "data" / "dataset")
    (root / "data" / "manifest.json").write_text('{"version": "v-test"}')
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARTIFACTS_DIR", str(root))
        patch.setenv("TRACKING_MODE", "off")
        document = train(load_config(DEFAULT_CONFIG_PATH, list(tiny_overrides)))
    return root, document


@pytest.fixture
def trained(artifacts, trained_once):
    """This test's artifacts folder holding the shared run's model and metrics."""
    root, document = trained_once
    for folder in ("models", "metrics"):
        shutil.copytree(root / folder, artifacts / folder)
    shutil.copyfile(
        root / "data" / "manifest.json", artifacts / "data" / "manifest.json"
    )
    return document


def read_evaluation() -> dict:
    return json.loads((paths.metrics_dir() / "evaluation.json").read_text())


def test_evaluation_writes_the_quality_figures_and_passes_a_learned_model(
    trained, tiny_spec, capsys
) -> None:
    assert evaluate.main([]) == 0
    printed = capsys.readouterr().out
    assert "quality gate passed" in printed

    document = read_evaluation()
    evaluation = read_examples("evaluation", tiny_spec)
    metric, higher_is_better = quality.primary_metric(tiny_spec)
    assert document["task"] == problem.TASK
    assert document["split"] == "evaluation"
    assert document["count"] == len(evaluation)
    assert document["metric"] == metric
    assert document["higher_is_better"] is higher_is_better
    assert document["bar"] == 0.6
    assert document["passed"] is True
    assert document["model"] == str(paths.latest_model_path())
    assert document["dataset_version"] == "v-test"
    assert document["trained_on_dataset_version"] == "v-test"
    training_targets = [e.target for e in read_examples("training", tiny_spec)]
    assert document["baseline"] == quality.baseline(
        tiny_spec, training_targets, [e.target for e in evaluation]
    )
    assert quality.passes(tiny_spec, document, document["baseline"], 0.6)
    if tiny_spec.classification:
        labels = list(tiny_spec.labels)
        assert all(label in printed for label in labels)
        assert list(document["per_class_accuracy"]) == labels
        per_class = document["per_class_accuracy"].values()
        assert all(0 <= value <= 1 for value in per_class)
        # Balanced split: overall accuracy is the mean of the per-class accuracies.
        assert document["accuracy"] == pytest.approx(
            sum(per_class) / len(labels), abs=1e-5
        )
        chance = pytest.approx(1 / len(labels), abs=1e-6)
        assert document["baseline"]["accuracy"] == chance
        assert document["min_accuracy"] == document["bar"]
    else:
        assert "mae" in printed and "rmse" in printed
        assert 0 < document["mae"] <= document["rmse"]
        assert document["mae"] <= 0.6 * document["baseline"]["mae"]
        assert "min_accuracy" not in document


def test_evaluation_writes_the_drift_reference_of_the_held_out_inputs(
    trained, tiny_spec
) -> None:
    assert evaluate.main([]) == 0
    reference = json.loads(paths.reference_path().read_text())
    held_out = read_examples("validation", tiny_spec)
    count = len(held_out)
    common = {"task", "source", "dataset_version", "count", "features"}
    assert reference["task"] == problem.TASK
    assert reference["source"] == "validation split"
    assert reference["dataset_version"] == "v-test"
    assert reference["count"] == count
    names = problem.drift_feature_names(tiny_spec)
    assert list(reference["features"]) == list(names)
    first = problem.drift_features(tiny_spec, problem.load_input(held_out[0]))
    for name, values in reference["features"].items():
        assert len(values) == count
        assert all(isinstance(v, int | float) and math.isfinite(v) for v in values)
        assert values[0] == first[name]
    if tiny_spec.classification:
        assert set(reference) == common | {"predictions", "confidence"}
        assert list(reference["predictions"]) == list(tiny_spec.labels)
        assert sum(reference["predictions"].values()) == pytest.approx(1, abs=1e-4)
        assert len(reference["confidence"]) == count
        chance = 1 / len(tiny_spec.labels)
        assert all(chance <= p <= 1 for p in reference["confidence"])
    else:
        assert set(reference) == common | {"values"}
        assert len(reference["values"]) == count
        targets = [float(e.target) for e in held_out]
        # Predictions of a learned model spread like the targets they predict.
        assert min(targets) <= sum(reference["values"]) / count <= max(targets)


def test_a_model_that_has_not_learned_fails_the_quality_gate(
    artifacts, tiny_config, capsys
) -> None:
    dataset = paths.dataset_dir()
    spec = read_spec(dataset)
    settings = tiny_config().to_dict()
    fitted = problem.fit(spec, read_examples("training", spec), settings)
    untrained = problem.build_model(fitted, problem.DEFAULT_ARCH)
    save_checkpoint(
        paths.latest_model_path(), untrained, spec=fitted, arch=problem.DEFAULT_ARCH
    )
    assert evaluate.main([]) == 1
    assert "quality gate failed" in capsys.readouterr().err
    document = read_evaluation()
    assert document["passed"] is False
    assert not quality.passes(spec, document, document["baseline"], 0.6)


def test_the_bar_comes_from_the_config(trained, tiny_spec) -> None:
    verdicts = set()
    for bar in (0.0, 0.3, 0.6, 1.0):
        code = evaluate.main([f"quality_bar={bar}"])
        document = read_evaluation()
        assert document["bar"] == bar
        expected = quality.passes(tiny_spec, document, document["baseline"], bar)
        assert document["passed"] is expected
        assert code == (0 if expected else 1)
        verdicts.add(expected)
    assert True in verdicts


def test_a_model_of_another_problem_or_no_model_means_exit_code_2(
    trained, capsys
) -> None:
    stated = read_spec(paths.dataset_dir())
    if stated.classification:
        other = replace(stated, labels=stated.labels[:-1])
    else:
        other = replace(stated, features=stated.features[:-1])
    write_spec(other, paths.dataset_dir())
    assert evaluate.main([]) == 2
    assert "another problem" in capsys.readouterr().err

    paths.latest_model_path().unlink()
    assert evaluate.main([]) == 2
    assert "no model at" in capsys.readouterr().err


def test_a_learned_candidate_beats_an_untrained_production_model_and_not_back(
    trained, untrained_checkpoint, tmp_path, capsys
) -> None:
    learned = paths.latest_model_path()
    untrained = untrained_checkpoint(tmp_path / "untrained.pt")
    out = tmp_path / "comparison.json"

    args = ["--production", str(untrained), "--candidate", str(learned)]
    assert compare.main([*args, "--out", str(out)]) == 0
    assert "the candidate is better" in capsys.readouterr().out
    result = json.loads(out.read_text())
    metric = result["metric"]
    assert result["better"] is True
    assert result["production"]["split"] == result["candidate"]["split"] == "evaluation"
    assert result["production"]["count"] == result["candidate"]["count"] > 0
    assert result["candidate"][metric] != result["production"][metric]

    swapped = ["--production", str(learned), "--candidate", str(untrained)]
    assert compare.main([*swapped, "--out", str(out)]) == 1
    assert "fails the quality gate" in capsys.readouterr().out
    # A tie keeps production: the same model is not better than itself.
    same = ["--production", str(learned), "--candidate", str(learned)]
    assert compare.main([*same, "--out", str(out)]) == 1
    assert "(it gains 1 % or less)" in capsys.readouterr().out


def test_comparing_with_a_missing_model_means_exit_code_2(trained, tmp_path, capsys):
    missing = str(tmp_path / "nothing.pt")
    args = ["--production", str(paths.latest_model_path()), "--candidate", missing]
    assert compare.main(args) == 2
    assert "no model at" in capsys.readouterr().err
