"""From the model's output to the contract's answer, counted and logged.

Shared by both services (`serving.service` and `serving.batched_service`), so
whichever one serves, every answered prediction reaches /metrics and the
prediction log the same way. Both declare the answer as a pydantic model built
from the contract (`serving.api_schema`): BentoML then serializes it as plain
JSON and documents its fields in the OpenAPI page (for a ``dict`` answer it
rebuilt a JSON schema on every response: 6% of a busy worker's time in a
py-spy profile).
"""

from typing import Any

import numpy as np
import pydantic
from starlette.responses import JSONResponse

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.spec import Spec

from .metrics import prediction_metrics
from .prediction_log import InputLog, PredictionLog, new_prediction_id


def refusal(error: Exception, status: int = 400) -> JSONResponse:
    """The 4xx answer to a request the contract refuses: ``{"error": "..."}``."""
    return JSONResponse({"error": str(error)}, status_code=status)


class Answers:
    """Create in the service's ``__init__`` (metrics need the worker process).

    ``answer_type`` is the service's declared answer (`api_schema.answer_model`);
    ``model``, the served model's tag, which every prediction log line carries.
    """

    def __init__(
        self, spec: Spec, answer_type: type[pydantic.BaseModel], model: str
    ) -> None:
        self.spec = spec
        self.answer_type = answer_type
        self.metrics = prediction_metrics(spec)
        self.prediction_log = PredictionLog(paths.prediction_log_path(), model)
        self.input_log = InputLog(paths.input_log_path())

    def answer(
        self,
        payload: dict[str, Any],
        decoded: Any,
        output: np.ndarray,
        prediction_id: str | None = None,
    ) -> pydantic.BaseModel:
        """One request (its body and decoded input) and its row of model output
        -> the answer; the answer and the body are logged under
        ``prediction_id`` (a new one if None)."""
        body = problem.answer(self.spec, output)
        self.metrics.observe(body)
        features = problem.drift_features(self.spec, decoded)
        prediction_id = prediction_id or new_prediction_id()
        self.prediction_log.append(body, features, prediction_id)
        self.input_log.append(prediction_id, payload)
        return self.answer_type(**body)
