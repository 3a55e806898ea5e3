"""The service's logs, one JSON line per event: answered predictions, their
inputs, feedback.

The prediction log: ``{"time", "stage", "model", "id", "prediction",
"probability" (classification only), "features"}``, the model being the stored
model's tag that answered, the features the problem's drift features of the
input (`problem.drift_features`). The monitoring room's drift check compares
them with the training reference; its online evaluation joins the ids with the
feedback log's (`serving.feedback`), and its quality alert judges only the
model a stage serves now.

The input log: ``{"time", "stage", "id", "input"}``, the request's JSON body as
the contract has it, so that an answered input can be labelled later and join
the next training set (`python -m data labelled`). Inputs are what users sent:
the team's data policy says how long they may be kept.

``DEPLOY_STAGE`` names where this service runs (staging, canary, production;
default ``local``): every line says it, so that a canary and production are
compared on the same footing (the shipper files the lines under it too).
"""

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STAGE_VARIABLE = "DEPLOY_STAGE"
DEFAULT_STAGE = "local"


def deploy_stage() -> str:
    return os.environ.get(STAGE_VARIABLE, "").strip() or DEFAULT_STAGE


def new_prediction_id() -> str:
    """A prediction's id: 32 hex digits, unique across workers and restarts."""
    return uuid.uuid4().hex


class JsonLinesLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stage = deploy_stage()

    def write(self, record: dict[str, Any]) -> None:
        """Append one record, stamped with the time and the stage."""
        stamped = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "stage": self.stage,
            **record,
        }
        line = (json.dumps(stamped) + "\n").encode()
        # One append-mode write() per line: the kernel appends it whole, so the
        # lines of several threads and worker processes never interleave. The
        # file is opened per line, so moving it away (rotation) is safe.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)


class PredictionLog(JsonLinesLog):
    def __init__(self, path: Path, model: str | None = None) -> None:
        super().__init__(path)
        self.model = {"model": model} if model else {}

    def append(
        self, answer: dict[str, Any], features: dict[str, float], prediction_id: str
    ) -> None:
        """Log one answer (the contract's answer body) and its input's features."""
        self.write({**self.model, "id": prediction_id, **answer, "features": features})


class InputLog(JsonLinesLog):
    def append(self, prediction_id: str, payload: dict[str, Any]) -> None:
        """Keep one answered request's body under its prediction's id."""
        self.write({"id": prediction_id, "input": payload})
