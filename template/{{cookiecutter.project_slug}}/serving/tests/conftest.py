"""A real `bentoml serve` of an untrained model, shared by the serving tests.

The model is the problem's default architecture for the synthetic problem
(`problem.synthetic_source`), its preprocessing fitted on a few synthetic
examples but its weights untrained: these tests check the service, not the
model. Everything lives in temporary folders: artifacts, the BentoML home
(model store and bentos) and the prediction log, so the tests never touch your
artifacts/.
"""

import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from {{ cookiecutter.package_name }} import problem, quality
from {{ cookiecutter.package_name }}.model import save_checkpoint
from {{ cookiecutter.package_name }}.spec import Example, Spec

from serving.check.server import BentoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE = "serving.service:Predictor"
# Per class (classification) or rows (regression): enough to fit on and send.
SYNTHETIC_COUNT = 8
SYNTHETIC_SEED = 0


@dataclass(frozen=True)
class SyntheticProblem:
    """The synthetic problem: its spec as the data room writes it, fitted as
    training fits it, and its examples (sent as requests)."""

    unfitted: Spec
    spec: Spec
    examples: list[Example]

    def payload(self, index: int = 0) -> dict[str, Any]:
        """The request for example ``index`` (wrapping around), as JSON data."""
        example = self.examples[index % len(self.examples)]
        return problem.request_payload(self.spec, example.input)

    def body(self, index: int = 0) -> bytes:
        """The request body for example ``index`` (wrapping around)."""
        return json.dumps(self.payload(index)).encode()


@functools.cache
def synthetic_problem() -> SyntheticProblem:
    source = problem.synthetic_source(SYNTHETIC_COUNT, SYNTHETIC_SEED)
    spec = problem.fit(source.spec, source.examples, {})
    return SyntheticProblem(source.spec, spec, source.examples)


def write_synthetic_dataset(artifacts: Path, splits: tuple[str, ...]) -> Spec:
    """The synthetic dataset's ``splits`` under ``artifacts``, as the data room
    stores them (``problem.json`` and one folder per split)."""
    synthetic = synthetic_problem()
    dataset = artifacts / "data" / "dataset"
    problem.write_spec(synthetic.unfitted, dataset)
    for split in splits:
        problem.write_split(synthetic.examples, dataset / split, synthetic.unfitted)
    return synthetic.unfitted


@dataclass(frozen=True)
class ServingFolders:
    """Where one test setup keeps its artifacts, model store and prediction log."""

    root: Path

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def bentoml_home(self) -> Path:
        return self.root / "bentoml"

    @property
    def prediction_log(self) -> Path:
        return self.root / "production" / "predictions.jsonl"

    @property
    def feedback_log(self) -> Path:
        return self.root / "production" / "feedback.jsonl"

    @property
    def checkpoint(self) -> Path:
        return self.artifacts / "models" / "model.pt"

    def variables(self) -> dict[str, str]:
        return {
            "ARTIFACTS_DIR": str(self.artifacts),
            "BENTOML_HOME": str(self.bentoml_home),
            "PREDICTION_LOG": str(self.prediction_log),
            "FEEDBACK_LOG": str(self.feedback_log),
            "PYTHONPATH": str(REPO_ROOT),
            # Empty means the service's default, whatever this shell has set.
            "SERVING_ACCESS_LOG": "",
            "SERVING_TRACING": "",
        }

    def run(self, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        """``python -m ...`` or ``bentoml ...`` in these folders, from the root."""
        program = args[0]
        if program != "bentoml":
            command = [sys.executable, *args]
        else:
            command = [str(Path(sys.executable).with_name("bentoml")), *args[1:]]
        return subprocess.run(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **self.variables(), **overrides},
            capture_output=True,
            text=True,
            timeout=300,
        )


# What the fake training run recorded about its model (package copies numbers).
TRAINED_METRIC = 0.09


def save_untrained_checkpoint(path: Path, seed: int = 0) -> Path:
    spec = synthetic_problem().spec
    torch.manual_seed(seed)
    metric, _ = quality.primary_metric(spec)
    return save_checkpoint(
        path,
        problem.build_model(spec, problem.DEFAULT_ARCH),
        spec=spec,
        arch=problem.DEFAULT_ARCH,
        extra={"metrics": {f"val_{metric}": TRAINED_METRIC, "note": "untrained"}},
    )


@pytest.fixture(scope="session")
def synthetic() -> SyntheticProblem:
    return synthetic_problem()


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> ServingFolders:
    """Folders holding an untrained model, imported into their model store."""
    folders = ServingFolders(tmp_path_factory.mktemp("served"))
    save_untrained_checkpoint(folders.checkpoint)
    result = folders.run("-m", "serving.package")
    assert result.returncode == 0, result.stderr
    return folders


@pytest.fixture(scope="session")
def server(served: ServingFolders) -> Iterator[BentoServer]:
    with BentoServer(
        SERVICE,
        log_path=served.root / "server.log",
        env=served.variables(),
        ready_timeout=180,
    ) as running:
        yield running


@pytest.fixture
def fresh_folders(tmp_path: Path) -> ServingFolders:
    """Empty folders: no checkpoint, an empty model store."""
    return ServingFolders(tmp_path)


@pytest.fixture(scope="session")
def save_model() -> Callable[..., Path]:
    return save_untrained_checkpoint


@pytest.fixture(scope="session")
def write_dataset() -> Callable[..., Spec]:
    return write_synthetic_dataset


@pytest.fixture(scope="session")
def traffic_python() -> str:
    """The Python that runs the load generator (data.traffic, which needs locust).

    nox passes the data room's as TRAFFIC_PYTHON; otherwise that room's
    environment is found (or made) the way nox does it.
    """
    given = os.environ.get("TRAFFIC_PYTHON")
    if given:
        return given
    from cicd import room_envs

    return str(room_envs.ensure("data") / "python")
