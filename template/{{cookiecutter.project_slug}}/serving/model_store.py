"""Where the service's model lives in the BentoML model store.

The store is under ``$BENTOML_HOME`` (nox sets ``artifacts/bentoml``). Each
import of a checkpoint is one version of `MODEL_NAME`: the checkpoint file and,
beside it, the fitted problem spec it was trained with (``problem.json``). The
services serve the latest version, and read its spec when they are imported,
before any model is loaded: the request the API accepts (and the guard checks)
and the answer it gives follow from that spec (`serving.api_schema`).
"""

import os
from pathlib import Path

import bentoml
from bentoml.exceptions import NotFound

from {{ cookiecutter.package_name }}.spec import ProblemDataError, Spec, read_spec

MODEL_NAME = "{{ cookiecutter.project_slug }}-model"
# The checkpoint's file name inside a stored model's folder.
CHECKPOINT_FILE = "model.pt"


class NoServableModel(RuntimeError):
    """The store holds no model the service can serve; the message says what to do."""


def latest_model() -> bentoml.Model | None:
    """The most recently imported model, or None when the store has none."""
    try:
        return bentoml.models.get(f"{MODEL_NAME}:latest")
    except NotFound:
        return None


def served_model() -> bentoml.Model:
    """The model the services serve: the latest one, or `NoServableModel`."""
    model = latest_model()
    if model is None:
        raise NoServableModel(
            f"model {MODEL_NAME}:latest could not be found in the BentoML model "
            f"store (BENTOML_HOME={os.environ.get('BENTOML_HOME', '~/bentoml')}); "
            "python -m serving.package puts the latest checkpoint there "
            "(nox -s serve and nox -s package run it)"
        )
    return model


def checkpoint_path(model: bentoml.Model) -> Path:
    """The checkpoint file inside a stored model."""
    return Path(model.path_of(CHECKPOINT_FILE))


def stored_spec(model: bentoml.Model) -> Spec:
    """The fitted spec `serving.package` stored beside the checkpoint."""
    try:
        return read_spec(Path(model.path))
    except ProblemDataError as error:
        raise NoServableModel(
            f"{model.tag} holds no readable problem spec ({error}); import the "
            "checkpoint again: python -m serving.package"
        ) from None
