"""Data-parallel training: two torchrun processes on the CPU (gloo) against one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.model import load_checkpoint

from training.config import ConfigError
from training.distributed import Cluster, per_process_batch_size
from training.train import train

REPO_ROOT = Path(__file__).resolve().parents[2]


def torchrun(artifacts: Path, processes: int, overrides: tuple[str, ...]):
    return subprocess.run(
        [
            sys.executable,
            *("-m", "torch.distributed.run", "--standalone"),
            *(f"--nproc-per-node={processes}", "-m", "training.train"),
            *overrides,
        ],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "ARTIFACTS_DIR": str(artifacts),
            "PYTHONPATH": str(REPO_ROOT),
            "TRACKING_MODE": "off",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_two_gloo_processes_train_like_one(
    artifacts, tiny_config, tiny_overrides, tmp_path, learned
):
    single = train(tiny_config())

    parallel_artifacts = tmp_path / "parallel"
    (parallel_artifacts / "data").mkdir(parents=True)
    (parallel_artifacts / "data" / "dataset").symlink_to(paths.dataset_dir())
    result = torchrun(parallel_artifacts, 2, tiny_overrides)
    assert result.returncode == 0, result.stdout + result.stderr

    parallel = json.loads(
        (parallel_artifacts / "metrics" / "training.json").read_text()
    )
    assert parallel["processes"] == 2
    assert single["processes"] == 1
    # Each epoch saw the whole training split once, shared by the processes (the
    # sampler repeats an example to share an odd count evenly between two).
    for shared, whole in zip(parallel["epochs"], single["epochs"], strict=True):
        assert 0 <= shared["train_samples"] - whole["train_samples"] < 2
    # Same global batch, same schedule: the same learning within tolerance
    # (the processes shuffle their halves separately), judged on the validation
    # split, where both models run in eval mode.
    assert learned(parallel)
    metric = parallel["metric"]
    tolerance = 0.15 if parallel["higher_is_better"] else 0.25 * single[f"val_{metric}"]
    assert parallel[f"val_{metric}"] == pytest.approx(
        single[f"val_{metric}"], abs=tolerance
    )
    # The training loss is not compared with the single run's: in train mode each
    # process batch-normalises its half of the batch, so that figure is higher
    # by an amount that depends on the problem's data (0.23 to 0.39 higher in
    # four seeds of a ten-digit problem). It must still have fallen while training.
    first, *_, last = parallel["epochs"]
    assert last["train_loss"] < first["train_loss"]
    # One process wrote the outputs, once: one line per epoch, one model.
    assert result.stdout.count("epoch 1/3") == 1
    model, _, metadata = load_checkpoint(parallel_artifacts / "models" / "model.pt")
    scores = metadata["extra"]["metrics"]
    assert scores[f"val_{metric}"] == parallel[f"val_{metric}"]
    single_model, _, _ = load_checkpoint(paths.latest_model_path())
    assert model.state_dict().keys() == single_model.state_dict().keys()


def test_the_global_batch_must_divide_among_the_processes():
    cluster = Cluster(rank=0, world_size=4, local_rank=0)
    assert per_process_batch_size(32, cluster) == 8
    with pytest.raises(ConfigError, match=r"batch_size=30 .* 4 training processes"):
        per_process_batch_size(30, cluster)


def test_a_single_process_never_joins_a_process_group(artifacts, tiny_config):
    train(tiny_config("epochs=1"))
    assert not torch.distributed.is_initialized()
