"""Where rooms read and write their artifacts.

Everything generated lives under ``artifacts/`` (git-ignored) at the repository
root, or under ``$ARTIFACTS_DIR`` when that is set, so one room's output is the
next room's input without anyone passing paths around.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def artifacts_dir() -> Path:
    return Path(os.environ.get("ARTIFACTS_DIR", REPO_ROOT / "artifacts"))


def dataset_dir() -> Path:
    """ImageFolder root with training/, validation/ and evaluation/ splits."""
    return artifacts_dir() / "data" / "dataset"


def models_dir() -> Path:
    return artifacts_dir() / "models"


def latest_model_path() -> Path:
    """The checkpoint serving packages: the last finished training run."""
    return models_dir() / "model.pt"


def metrics_dir() -> Path:
    return artifacts_dir() / "metrics"


def evaluation_path() -> Path:
    """Training's verdict on the latest model: its quality on the evaluation
    split, the baseline and whether it passed the gate (training/evaluate.py)."""
    return metrics_dir() / "evaluation.json"


def monitoring_dir() -> Path:
    return artifacts_dir() / "monitoring"


def reference_path() -> Path:
    """Training-time reference statistics that drift checks compare against."""
    return monitoring_dir() / "reference.json"


def prediction_log_path() -> Path:
    """JSON lines written by the service: one per answered prediction."""
    return Path(
        os.environ.get(
            "PREDICTION_LOG", artifacts_dir() / "production" / "predictions.jsonl"
        )
    )


def feedback_log_path() -> Path:
    """JSON lines written by the service: one per feedback on a past prediction."""
    return Path(
        os.environ.get(
            "FEEDBACK_LOG", artifacts_dir() / "production" / "feedback.jsonl"
        )
    )


def input_log_path() -> Path:
    """JSON lines written by the service: each answered request's input, by id,
    kept for labelling and for retraining on labelled production inputs."""
    return Path(
        os.environ.get("INPUT_LOG", artifacts_dir() / "production" / "inputs.jsonl")
    )


def contracts_dir() -> Path:
    return REPO_ROOT / "contracts"
