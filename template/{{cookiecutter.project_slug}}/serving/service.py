"""The BentoML service: POST /predict answers one request of the team's contract.

Run: bentoml serve serving.service:Predictor --port 3000   (or nox -s serve)

The request and the answer are the contract's (contracts/*.schema.json): the
problem decodes the request (`problem.decode_request`), the model predicts, and
`problem.answer` turns its output into the answer. A bad request gets a 4xx
with ``{"error": "..."}`` and the server keeps serving. /readyz answers 200
once the model is loaded, /metrics adds the prediction metrics of
`serving.metrics` to BentoML's own. Every answered prediction is appended to
the prediction log (`paths.prediction_log_path()`, ``$PREDICTION_LOG``
overrides) under a new id, which the answer's ``X-Prediction-Id`` header
carries; POST /feedback takes the true answer back by that id
(`serving.feedback`).

The API is built when this module is imported, from the spec stored with the
latest model in the BentoML model store (`serving.model_store`): BentoML reads
an API's request and answer types at import, before any worker loads a model,
and the store is what every worker (and a built Bento) has. So the model
must be in the store first: python -m serving.package puts it there.

Each worker process serves one request at a time, without adaptive batching:
on a small CPU batching made each request slower and BentoML answers 503 to
requests it cannot batch in time. `serving.batched_service` is the batched
alternative (for a GPU). ``SERVING_VARIANT`` picks how the model runs
(`serving.runtimes`); ``SERVING_WORKERS`` and ``SERVING_THREADS`` how the CPU
is shared between worker processes and their compute threads. `nox -s
bench-serve` measures every option side by side, one worker using every core
against one single-threaded worker per core included. BentoML's access log and
request tracing are off unless ``SERVING_ACCESS_LOG`` or ``SERVING_TRACING`` is
``on`` (`serving.request_records`).
"""

from typing import Any

import bentoml

from {{ cookiecutter.package_name }} import paths, problem

from .answers import Answers, refusal
from .api_schema import answer_model, request_model
from .feedback import (
    PREDICTION_ID_HEADER,
    FeedbackAnswer,
    FeedbackLog,
    FeedbackRequest,
)
from .guard import PredictRequestGuard
from .model_store import checkpoint_path, served_model, stored_spec
from .prediction_log import new_prediction_id
from .request_records import request_records_from_env
from .runtimes import load_predictor, options_from_env, workers_from_env

SERVED_MODEL = served_model()
SPEC = stored_spec(SERVED_MODEL)
PredictRequest = request_model(SPEC)
PredictAnswer = answer_model(SPEC)


@bentoml.service(
    name="{{ cookiecutter.project_slug }}",
    # A request may wait behind others (one at a time) but never forever.
    traffic={"timeout": 60},
    # Each worker is a process with its own copy of the model.
    workers=workers_from_env(),
    # BentoML's access log and tracing: off unless SERVING_ACCESS_LOG/_TRACING.
    **request_records_from_env(),
    labels={"project": "{{ cookiecutter.project_id }}"},
)
class Predictor:
    # The version whose spec shaped the API above (the latest at import).
    stored_model = bentoml.models.BentoModel(SERVED_MODEL.tag)

    def __init__(self) -> None:
        self.runtime = load_predictor(
            checkpoint_path(self.stored_model), options_from_env()
        )
        self.spec = self.runtime.spec
        self.answers = Answers(self.spec, PredictAnswer, str(SERVED_MODEL.tag))
        self.feedback_log = FeedbackLog(paths.feedback_log_path())

    def __is_ready__(self) -> bool:
        return self.runtime is not None

    @bentoml.api(route="/predict", input_spec=PredictRequest, output_spec=PredictAnswer)
    def predict(self, ctx: bentoml.Context, **payload: Any) -> Any:
        """Answer one request of the contract (contracts/input.schema.json)."""
        try:
            decoded = problem.decode_request(self.spec, payload)
        except problem.ContractError as error:
            # With a context parameter BentoML takes the status from it.
            ctx.response.status_code = 400
            return refusal(error)
        batch = problem.encode_input(self.spec, decoded)[None]
        prediction_id = new_prediction_id()
        ctx.response.headers[PREDICTION_ID_HEADER] = prediction_id
        output = self.runtime.predict(batch)[0]
        return self.answers.answer(payload, decoded, output, prediction_id)

    @bentoml.api(
        route="/feedback", input_spec=FeedbackRequest, output_spec=FeedbackAnswer
    )
    def feedback(self, **payload: Any) -> Any:
        """The true answer to a past prediction, by its id (serving.feedback)."""
        try:
            return self.feedback_log.record(self.spec, FeedbackRequest(**payload))
        except problem.ContractError as error:
            return refusal(error)


# Checked before BentoML reads a /predict body: size, JSON shape, field types.
Predictor.add_asgi_middleware(
    PredictRequestGuard,
    path="/predict",
    schema=problem.input_schema(SPEC),
    max_body_bytes=problem.MAX_REQUEST_BYTES,
)
