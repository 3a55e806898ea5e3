"""The service's prediction log: one JSON line per answered prediction.

The monitoring room's drift check compares these lines with the training
reference: ``{"time", "prediction", "probability", "features"}``.
"""

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from {{ cookiecutter.package_name }}.features import image_features


class PredictionLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def append(self, image: Image.Image, label: str, probability: float) -> None:
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "prediction": label,
            "probability": round(float(probability), 6),
            "features": image_features(image),
        }
        line = json.dumps(record) + "\n"
        # One write of a whole line, so lines never interleave between threads.
        with self._lock, self.path.open("a", encoding="utf-8") as log:
            log.write(line)
