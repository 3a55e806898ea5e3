"""The BentoML service: POST /predict classifies one food photo.

Run: bentoml serve serving.service:Classifier --port 3000   (or nox -s serve)

Request ``{"image": "<base64 JPEG>"}``, answer ``{"prediction", "probability"}``
(contracts/*.schema.json). A bad request gets a 4xx with ``{"error": "..."}``
and the server keeps serving. /readyz answers 200 once the model is loaded,
/metrics adds the prediction metrics of `serving.metrics` to BentoML's own.
Every answered prediction is appended to the prediction log
(`paths.prediction_log_path()`, ``$PREDICTION_LOG`` overrides).

Each worker process serves one request at a time, without adaptive batching:
on a small CPU batching made each image slower and BentoML answers 503 to
requests it cannot batch in time. `serving.batched_service` is the batched
alternative (for a GPU). ``SERVING_VARIANT`` picks how the model runs
(`serving.runtimes`); ``SERVING_WORKERS`` and ``SERVING_THREADS`` how the CPU
is shared between worker processes and their compute threads. `nox -s
bench-serve` measures every option side by side, one worker using every core
against one single-threaded worker per core included. BentoML's access log and
request tracing are off unless ``SERVING_ACCESS_LOG`` or ``SERVING_TRACING`` is
``on`` (`serving.request_records`).
"""

import bentoml

from {{ cookiecutter.package_name }}.contract import ContractError, decode_image
from {{ cookiecutter.package_name }}.preprocessing import to_array

from .answers import Answers, Prediction, refusal
from .guard import PredictRequestGuard
from .model_store import MODEL_NAME, checkpoint_path
from .request_records import request_records_from_env
from .runtimes import load_predictor, options_from_env, workers_from_env


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
class Classifier:
    # The latest version in the store; `python -m serving.package` puts it there.
    stored_model = bentoml.models.BentoModel(MODEL_NAME)

    def __init__(self) -> None:
        self.predictor = load_predictor(
            checkpoint_path(self.stored_model), options_from_env()
        )
        self.image_size = self.predictor.image_size
        self.answers = Answers()

    def __is_ready__(self) -> bool:
        return self.predictor is not None

    @bentoml.api(route="/predict")
    def predict(self, image: str) -> Prediction:
        """Classify one photo, sent as base64 text."""
        try:
            photo = decode_image(image)
        except ContractError as error:
            return refusal(error)  # a Response: BentoML sends it unchanged
        batch = to_array(photo, self.image_size)[None]
        return self.answers.answer(photo, self.predictor.probabilities(batch)[0])


# Checked before BentoML reads a /predict body: size, JSON shape, field type.
Classifier.add_asgi_middleware(PredictRequestGuard, path="/predict")
