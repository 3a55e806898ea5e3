"""The service's prediction log: one JSON line per answered prediction.

The monitoring room's drift check compares these lines with the training
reference: ``{"time", "prediction", "probability" (classification only),
"features"}``, the features being the problem's drift features of the input
(`problem.drift_features`).
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class PredictionLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, answer: dict[str, Any], features: dict[str, float]) -> None:
        """Log one answer (the contract's answer body) and its input's features."""
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **answer,
            "features": features,
        }
        line = (json.dumps(record) + "\n").encode()
        # One append-mode write() per line: the kernel appends it whole, so the
        # lines of several threads and worker processes never interleave. The
        # file is opened per line, so moving it away (rotation) is safe.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)
