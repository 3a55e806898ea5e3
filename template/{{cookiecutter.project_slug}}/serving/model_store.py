"""Where the service's model lives in the BentoML model store.

The store is under ``$BENTOML_HOME`` (nox sets ``artifacts/bentoml``). Each
import of a checkpoint is one version of `MODEL_NAME`; the service serves the
latest one.
"""

from pathlib import Path

import bentoml
from bentoml.exceptions import NotFound

MODEL_NAME = "{{ cookiecutter.project_slug }}-classifier"
# The checkpoint's file name inside a stored model's folder.
CHECKPOINT_FILE = "model.pt"


def latest_model() -> bentoml.Model | None:
    """The most recently imported model, or None when the store has none."""
    try:
        return bentoml.models.get(f"{MODEL_NAME}:latest")
    except NotFound:
        return None


def checkpoint_path(model: bentoml.Model) -> Path:
    """The checkpoint file inside a stored model."""
    return Path(model.path_of(CHECKPOINT_FILE))
