"""From class probabilities to the contract's answer, counted and logged.

Shared by both services (`serving.service` and `serving.batched_service`), so
whichever one serves, every answered prediction reaches /metrics and the
prediction log the same way. Both declare `Prediction` as their answer: BentoML
then serializes it as plain JSON and documents its fields in the OpenAPI page
(for a ``dict`` answer it rebuilt a JSON schema on every response: 6% of a
busy worker's time in a py-spy profile).
"""

import numpy as np
import pydantic
from PIL import Image
from starlette.responses import JSONResponse

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract import prediction_response
from {{ cookiecutter.package_name }}.labels import LABELS

from .metrics import prediction_metrics
from .prediction_log import PredictionLog


class Prediction(pydantic.BaseModel):
    """The answer body (contracts/output.schema.json)."""

    prediction: str
    probability: float


def refusal(error: Exception, status: int = 400) -> JSONResponse:
    """The 4xx answer to a request the contract refuses: ``{"error": "..."}``."""
    return JSONResponse({"error": str(error)}, status_code=status)


def top_class(probabilities: np.ndarray) -> tuple[str, float]:
    """The most probable class of one image and its probability."""
    index = int(probabilities.argmax())
    return LABELS[index], float(probabilities[index])


class Answers:
    """Create in the service's ``__init__`` (metrics need the worker process)."""

    def __init__(self) -> None:
        self.metrics = prediction_metrics()
        self.prediction_log = PredictionLog(paths.prediction_log_path())

    def answer(self, photo: Image.Image, probabilities: np.ndarray) -> Prediction:
        label, probability = top_class(probabilities)
        answer = Prediction(**prediction_response(label, probability))
        self.metrics.observe(label, probability)
        self.prediction_log.append(photo, label, probability)
        return answer
