"""The BentoML service: POST /predict classifies one food photo.

Run: bentoml serve serving.service:Classifier --port 3000   (or nox -s serve)

Request ``{"image": "<base64 JPEG>"}``, answer ``{"prediction", "probability"}``
(contracts/*.schema.json). A bad request gets a 4xx with ``{"error": "..."}``
and the server keeps serving. /readyz answers 200 once the model is loaded,
/metrics adds the prediction metrics of `serving.metrics` to BentoML's own.
Every answered prediction is appended to the prediction log
(`paths.prediction_log_path()`, ``$PREDICTION_LOG`` overrides).

Requests are served one at a time, without adaptive batching: on a small CPU
batching made each image slower and BentoML answers 503 to requests it cannot
batch in time. `serving.batched_service` is the batched alternative (for a
GPU); ``SERVING_VARIANT`` picks how the model runs (`serving.runtimes`), and
`nox -s bench-serve` measures every option side by side.
"""

import bentoml

from {{ cookiecutter.package_name }}.contract import ContractError, decode_image
from {{ cookiecutter.package_name }}.preprocessing import to_array

from .answers import Answers
from .guard import PredictRequestGuard
from .model_store import MODEL_NAME, checkpoint_path
from .runtimes import load_predictor, options_from_env


@bentoml.service(
    name="{{ cookiecutter.project_slug }}",
    # A request may wait behind others (one at a time) but never forever.
    traffic={"timeout": 60},
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
    def predict(self, image: str, ctx: bentoml.Context) -> dict[str, str | float]:
        """Classify one photo, sent as base64 text."""
        try:
            photo = decode_image(image)
        except ContractError as error:
            ctx.response.status_code = 400
            return {"error": str(error)}
        batch = to_array(photo, self.image_size)[None]
        return self.answers.answer(photo, self.predictor.probabilities(batch)[0])


# Checked before BentoML reads a /predict body: size, JSON shape, field type.
Classifier.add_asgi_middleware(PredictRequestGuard, path="/predict")
