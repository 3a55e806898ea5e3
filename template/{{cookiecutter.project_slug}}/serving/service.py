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
batch in time.
"""

import bentoml
import torch
from PIL import Image

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract import (
    ContractError,
    decode_image,
    prediction_response,
)
from {{ cookiecutter.package_name }}.labels import LABELS
from {{ cookiecutter.package_name }}.model import load_checkpoint, predict_probabilities
from {{ cookiecutter.package_name }}.preprocessing import to_array

from .guard import PredictRequestGuard
from .metrics import prediction_metrics
from .model_store import MODEL_NAME, checkpoint_path
from .prediction_log import PredictionLog


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
        self.model, checkpoint = load_checkpoint(checkpoint_path(self.stored_model))
        self.image_size = int(checkpoint["image_size"])
        self.metrics = prediction_metrics()
        self.prediction_log = PredictionLog(paths.prediction_log_path())

    def __is_ready__(self) -> bool:
        return self.model is not None

    def classify(self, image: Image.Image) -> tuple[str, float]:
        """Top class and its probability."""
        batch = torch.from_numpy(to_array(image, self.image_size)).unsqueeze(0)
        probabilities = predict_probabilities(self.model, batch)[0]
        index = int(probabilities.argmax())
        return LABELS[index], float(probabilities[index])

    @bentoml.api(route="/predict")
    def predict(self, image: str, ctx: bentoml.Context) -> dict[str, str | float]:
        """Classify one photo, sent as base64 text."""
        try:
            photo = decode_image(image)
        except ContractError as error:
            ctx.response.status_code = 400
            return {"error": str(error)}
        label, probability = self.classify(photo)
        answer = prediction_response(label, probability)
        self.metrics.observe(label, probability)
        self.prediction_log.append(photo, label, probability)
        return answer


# Checked before BentoML reads a /predict body: size, JSON shape, field type.
Classifier.add_asgi_middleware(PredictRequestGuard, path="/predict")
