"""Training for real on a tiny dataset: learning, seeding, checkpoints, resume."""

import json
import shutil

import pytest
import torch

from {{ cookiecutter.package_name }} import paths, problem, quality
from {{ cookiecutter.package_name }}.model import load_checkpoint
from {{ cookiecutter.package_name }}.spec import ProblemDataError

from training import train as train_module
from training.checkpoints import ResumeError, last_checkpoint_path
from training.train import train


def weights(path) -> dict[str, torch.Tensor]:
    model, _, _ = load_checkpoint(path)
    return model.state_dict()


def assert_same_weights(first: dict, second: dict) -> None:
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key


def test_training_learns_and_writes_model_metrics_and_checkpoint(
    artifacts, tiny_config, tiny_spec, learned
) -> None:
    (artifacts / "data" / "manifest.json").write_text('{"version": "abc123"}')
    document = train(tiny_config())

    # Learned: past the quality bar, which the model-free baseline is not.
    metric, higher_is_better = quality.primary_metric(tiny_spec)
    assert document["task"] == problem.TASK
    assert (document["metric"], document["higher_is_better"]) == (
        metric,
        higher_is_better,
    )
    assert learned(document)
    baseline = document["baseline"]
    if tiny_spec.classification:
        # Balanced classes: the majority class scores chance.
        assert baseline["accuracy"] == pytest.approx(
            1 / len(tiny_spec.labels), abs=1e-6
        )
        assert document["val_accuracy"] > baseline["accuracy"] + 0.4
    else:
        assert document["val_mae"] < 0.6 * baseline["mae"]
        assert document["val_rmse"] > 0

    _, spec, metadata = load_checkpoint(paths.latest_model_path())
    assert metadata["arch"] == tiny_config().arch  # config.yaml's, or the default
    # The checkpoint holds the spec fitted on the training split.
    assert spec.fitted and spec.labels == tiny_spec.labels
    assert metadata["extra"]["dataset_version"] == "abc123"
    assert metadata["extra"]["metrics"][f"val_{metric}"] == document[f"val_{metric}"]
    assert metadata["extra"]["baseline"] == document["baseline"]
    assert last_checkpoint_path().is_file()

    written = json.loads((paths.metrics_dir() / "training.json").read_text())
    assert written == document
    assert [epoch["epoch"] for epoch in written["epochs"]] == [1, 2, 3]
    epoch_keys = {"train_loss", "val_loss", f"train_{metric}", f"val_{metric}"}
    assert epoch_keys | {"samples_per_s"} <= set(written["epochs"][0])
    assert written["cost"]["device"] == "cpu"
    assert written["cost"]["wall_time_s"] > 0
    assert written["cost"]["samples_per_s"] > 0
    assert written["run_id"]
    assert written["environment"]["torch"] == torch.__version__
    assert written["dataset_version"] == "abc123"
    assert written["training_examples"] == sum(
        e["train_samples"] for e in written["epochs"][:1]
    )


def test_the_same_seed_gives_the_same_model_and_another_seed_does_not(
    artifacts, tiny_config
) -> None:
    train(tiny_config("epochs=1"))
    first = weights(paths.latest_model_path())
    train(tiny_config("epochs=1"))
    assert_same_weights(first, weights(paths.latest_model_path()))

    train(tiny_config("epochs=1", "seed=8"))
    other = weights(paths.latest_model_path())
    assert not all(torch.equal(first[key], other[key]) for key in first)


class Interrupted(KeyboardInterrupt):
    pass


def metrics(record: dict) -> tuple:
    """An epoch's results, without its timings."""
    return tuple(record[key] for key in ("epoch", "lr", "train_loss", "val_loss"))


def stop_after(last_epoch: int):
    def after_epoch(epoch: int) -> None:
        if epoch == last_epoch:
            raise Interrupted

    return after_epoch


def test_a_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one(
    artifacts, tiny_config
) -> None:
    # num_workers=1: the loader's worker seeding must be restored as well.
    config = tiny_config("epochs=3", "num_workers=1")
    uninterrupted = train(config)
    expected = weights(paths.latest_model_path())
    paths.latest_model_path().unlink()
    last_checkpoint_path().unlink()

    with pytest.raises(Interrupted):
        train(config, after_epoch=stop_after(1))
    assert not paths.latest_model_path().exists()
    state = torch.load(last_checkpoint_path(), weights_only=True)
    assert state["epoch"] == 1

    resumed = train(tiny_config("epochs=3", "num_workers=1", "resume=true"))
    assert resumed["resumed_after_epoch"] == 1
    assert_same_weights(expected, weights(paths.latest_model_path()))
    assert [metrics(record) for record in resumed["epochs"]] == [
        metrics(record) for record in uninterrupted["epochs"]
    ]


def test_resume_refuses_a_missing_or_different_checkpoint(
    artifacts, tiny_config
) -> None:
    with pytest.raises(ResumeError, match="no checkpoint"):
        train(tiny_config("resume=true"))
    train(tiny_config("epochs=1"))
    with pytest.raises(ResumeError, match=r"lr=0\.01 there, 0\.02 here"):
        train(tiny_config("epochs=1", "lr=0.02", "resume=true"))


def test_an_unreadable_example_or_a_missing_dataset_stops_with_exit_code_2(
    artifacts, capsys, monkeypatch
) -> None:
    dataset = artifacts / "data" / "dataset"
    training = problem.read_split(dataset / "training", problem.read_spec(dataset))
    broken = training[3].origin
    load_input = problem.load_input

    def load_or_fail(example):
        if example.origin == broken:
            raise ProblemDataError(f"{example.origin}: unreadable (a test)")
        return load_input(example)

    with monkeypatch.context() as patched:
        patched.setattr(problem, "load_input", load_or_fail)
        assert train_module.main(["epochs=1"]) == 2
    assert f"{broken}: unreadable" in capsys.readouterr().err

    shutil.rmtree(artifacts / "data" / "dataset" / "validation")
    assert train_module.main(["epochs=1"]) == 2
    assert "validation" in capsys.readouterr().err

    shutil.rmtree(artifacts / "data" / "dataset")
    assert train_module.main(["epochs=1"]) == 2
    assert "make the dataset first" in capsys.readouterr().err
