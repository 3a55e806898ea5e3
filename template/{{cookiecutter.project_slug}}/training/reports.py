"""The JSON files training and evaluation leave for the other rooms and for CI."""

import json
import os
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths


def training_metrics_path() -> Path:
    return paths.metrics_dir() / "training.json"


def write_json(path: Path, document: dict[str, Any]) -> Path:
    """Write atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def baseline_text(baseline: dict[str, Any]) -> str:
    """One line on `quality.baseline`'s answer, e.g. "majority class (always
    'Groceries'): accuracy 0.091" or "mean predictor (always 12.5): mae 3.1,
    rmse 3.9"."""
    scores = ", ".join(
        f"{name} {baseline[name]:.3f}"
        for name in ("accuracy", "mae", "rmse")
        if baseline.get(name) is not None
    )
    return f"{baseline['name']} (always {baseline['prediction']!r}): {scores}"
