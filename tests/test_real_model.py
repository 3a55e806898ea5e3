"""The course's real model, MobileNetV2, from training to a served answer.

The image kind's `arch=mobilenet_v2` needs torchvision beside PyTorch in the
training and serving rooms. The rooms take both from ``TORCH_SPEC``; here
``torch==2.14.1 torchvision==0.29.1`` is a matching pair that pip takes from
this machine's disk (a CUDA build of about 5.5 GB, run on the CPU, installed
once in the PyTorch layer both rooms read: cicd/room_envs.py). Those
environments live in a folder of their own, shared across runs
(``TORCHVISION_ENVS_DIR``), beside the CPU-only ones every other test shares.

Skipped, with pip's reason, only where that pair cannot be installed at all.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, render, run_nox, tail

# One test, minutes long: it may start first on any pytest-xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.alone]

TORCHVISION_SPEC = os.environ.get(
    "TORCHVISION_TORCH_SPEC", "torch==2.14.1 torchvision==0.29.1"
)
TORCHVISION_ENV = {
    "TORCH_SPEC": TORCHVISION_SPEC,
    "ROOM_ENVS_DIR": os.environ.get(
        "TORCHVISION_ENVS_DIR", str(ROOT / ".cache" / "room-envs-torchvision")
    ),
}
# Small enough for a 2-core CPU: five epochs on 64-pixel photos. Fewer do not
# do: MobileNetV2's batch statistics settle late (validation accuracy at chance
# for two epochs; 0.91 after five in a run here).
TRAINING = ("arch=mobilenet_v2", "epochs=5", "image_size=64")


def torchvision_installable() -> str | None:
    """None when pip can install the pair here; otherwise pip's reason."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--no-deps",
            "--ignore-installed",
            *TORCHVISION_SPEC.split(),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        return None
    return (result.stderr or result.stdout).strip().splitlines()[-1]


@pytest.fixture(scope="module")
def mobilenet_project(tmp_path_factory):
    reason = torchvision_installable()
    if reason:
        pytest.skip(f"{TORCHVISION_SPEC} cannot be installed here: {reason}")
    project = render(tmp_path_factory.mktemp("real-model") / "gourmetgram")
    # The data room needs no PyTorch: its shared CPU-only environment will do.
    data = run_nox(project, "-s", "data")
    assert data.returncode == 0, tail(data)
    return project


def test_mobilenet_v2_trains_packages_and_serves_the_contract(mobilenet_project):
    project = mobilenet_project
    trained = run_nox(project, "-s", "train", "--", *TRAINING, env=TORCHVISION_ENV)
    assert trained.returncode == 0, tail(trained)
    training = json.loads((project / "artifacts/metrics/training.json").read_text())
    assert training["config"]["arch"] == "mobilenet_v2"
    evaluation = json.loads((project / "artifacts/metrics/evaluation.json").read_text())
    assert evaluation["passed"] is True, evaluation

    packaged = run_nox(project, "-s", "package", env=TORCHVISION_ENV)
    assert packaged.returncode == 0, tail(packaged)
    # The Bento installs torchvision too, or its service could not rebuild the
    # model; still from PyTorch's CPU index.
    bentoml_home = project / "artifacts" / "bentoml"
    (requirements,) = bentoml_home.glob("bentos/*/*/env/python/requirements.txt")
    lines = requirements.read_text().splitlines()
    assert "torchvision" in lines, lines
    assert "--index-url https://download.pytorch.org/whl/cpu" in lines

    served = run_nox(project, "-s", "serve-check", env=TORCHVISION_ENV)
    assert served.returncode == 0, tail(served)
    smoke = json.loads((project / "artifacts/serving/smoke.json").read_text())
    assert smoke["ok"] is True and smoke["errors"] == [], smoke
    assert smoke["sample"]["schema_valid"] is True
    assert smoke["bad_requests"] and all(bad["ok"] for bad in smoke["bad_requests"])
