"""A real `bentoml serve` of an untrained model, shared by the serving tests.

Everything lives in temporary folders: artifacts, the BentoML home (model store
and bentos) and the prediction log, so the tests never touch your artifacts/.
"""

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from PIL import Image

from {{ cookiecutter.package_name }}.contract import predict_request
from {{ cookiecutter.package_name }}.model import (
    DEFAULT_IMAGE_SIZE,
    SmallCNN,
    save_checkpoint,
)

from serving.server import BentoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE = "serving.service:Classifier"


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
    def checkpoint(self) -> Path:
        return self.artifacts / "models" / "model.pt"

    def variables(self) -> dict[str, str]:
        return {
            "ARTIFACTS_DIR": str(self.artifacts),
            "BENTOML_HOME": str(self.bentoml_home),
            "PREDICTION_LOG": str(self.prediction_log),
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


def save_untrained_checkpoint(path: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    return save_checkpoint(
        path,
        SmallCNN(),
        arch="small_cnn",
        image_size=DEFAULT_IMAGE_SIZE["small_cnn"],
        extra={"metrics": {"val_accuracy": 0.09}},
    )


def photo_body(
    size: tuple[int, int] = (96, 72),
    color: tuple[int, int, int] = (200, 120, 40),
    image_format: str = "JPEG",
    mode: str = "RGB",
) -> bytes:
    """A /predict request body holding a generated photo."""
    buffer = io.BytesIO()
    fill = color if mode == "RGB" else color[0]
    Image.new(mode, size, fill).save(buffer, image_format)
    return predict_request(buffer.getvalue())


@pytest.fixture(scope="session")
def photo() -> Callable[..., bytes]:
    return photo_body


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
