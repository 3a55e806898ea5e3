"""The same POST /predict contract, with adaptive batching of the model's work.

Run: bentoml serve serving.batched_service:BatchedPredictor --port 3000

`BatchedPredictor` decodes each request and answers exactly like
`serving.service.Predictor` (same API, guard, metrics and prediction log); the
forward pass goes to `BatchedModel`, a second service in its own process whose
batchable API groups concurrent inputs into one batch. That pays off where a
batch costs little more than one input (a GPU); on a small CPU the extra hop
and the wait cost more than they save (`nox -s bench-serve` shows both).

``max_latency_ms`` is not a wait window: BentoML answers 503 to any request it
cannot serve within it. The default budget (``SERVING_MAX_LATENCY_MS``, 10 s)
is therefore far above the latency the clients see, so that load queues
instead of failing; lower it only with the benchmark's p99 in hand.
"""

import asyncio
from typing import Any

import bentoml
import numpy as np

from {{ cookiecutter.package_name }} import problem

from .answers import Answers, refusal
from .guard import PredictRequestGuard
from .model_calls import call_again_if_stale
from .model_store import checkpoint_path
from .request_records import request_records_from_env
from .runtimes import (
    load_predictor,
    options_from_env,
    positive_int_from_env,
    workers_from_env,
)
from .service import SERVED_MODEL, SPEC, PredictAnswer, PredictRequest

MAX_BATCH_SIZE = positive_int_from_env("SERVING_MAX_BATCH_SIZE", 32)
MAX_LATENCY_MS = positive_int_from_env("SERVING_MAX_LATENCY_MS", 10_000)


@bentoml.service(
    name="{{ cookiecutter.project_slug }}-batched-model",
    traffic={"timeout": 60},
    # Batches are formed per worker: more workers, smaller batches.
    workers=workers_from_env(),
    **request_records_from_env(),
    labels={"project": "{{ cookiecutter.project_id }}"},
)
class BatchedModel:
    stored_model = bentoml.models.BentoModel(SERVED_MODEL.tag)

    def __init__(self) -> None:
        self.runtime = load_predictor(
            checkpoint_path(self.stored_model), options_from_env()
        )

    @bentoml.api(
        batchable=True, max_batch_size=MAX_BATCH_SIZE, max_latency_ms=MAX_LATENCY_MS
    )
    def outputs(self, inputs: np.ndarray) -> np.ndarray:
        """Probabilities or values for a batch of encoded inputs."""
        return self.runtime.predict(inputs.astype(np.float32, copy=False))


@bentoml.service(
    name="{{ cookiecutter.project_slug }}-batched",
    traffic={"timeout": 60},
    **request_records_from_env(),
    labels={"project": "{{ cookiecutter.project_id }}"},
)
class BatchedPredictor:
    model = bentoml.depends(BatchedModel)

    def __init__(self) -> None:
        # The stored spec is the fitted one the model was trained with.
        self.spec = SPEC
        self.answers = Answers(SPEC, PredictAnswer, str(SERVED_MODEL.tag))

    @bentoml.api(route="/predict", input_spec=PredictRequest, output_spec=PredictAnswer)
    async def predict(self, **payload: Any) -> Any:
        """Answer one request of the contract (contracts/input.schema.json)."""
        try:
            # Decoding is CPU work: off the event loop, so requests keep arriving.
            decoded = await asyncio.to_thread(problem.decode_request, SPEC, payload)
        except problem.ContractError as error:
            return refusal(error)  # a Response: BentoML sends it unchanged
        encoded = await asyncio.to_thread(problem.encode_input, SPEC, decoded)
        outputs = await call_again_if_stale(
            lambda: self.model.to_async.outputs(encoded[None])
        )
        return self.answers.answer(payload, decoded, np.asarray(outputs)[0])


BatchedPredictor.add_asgi_middleware(
    PredictRequestGuard,
    path="/predict",
    schema=problem.input_schema(SPEC),
    max_body_bytes=problem.MAX_REQUEST_BYTES,
)
