"""Labels back to the service: each labelled task of a Label Studio export
sent to its ``POST /feedback``, once (`answers` and `pull`, see cli.py)."""

import json
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import problem

from ..labelled import latest_by_id
from ..production_traffic import post
from .label_studio import read_tasks


def answer_of(exported: dict[str, Any]) -> Any | None:
    """A task's latest answer in a Label Studio export, or None (not labelled)."""
    for annotation in reversed(exported.get("annotations") or []):
        if annotation.get("was_cancelled"):
            continue
        for result in annotation.get("result") or []:
            value = result.get("value") or {}
            if result.get("from_name") != problem.LABELLING_ANSWER:
                continue
            if value.get("choices"):
                return value["choices"][0]
            if "number" in value:
                return value["number"]
    return None


def delivered_labels(feedback: list[dict[str, Any]]) -> dict[str, Any]:
    """prediction id -> the label labelling last sent for it, from a feedback log."""
    sent = [line for line in feedback if line.get("source") == "labelling"]
    by_id = latest_by_id(sent, "prediction_id")
    return {key: line.get("label") for key, line in by_id.items()}


def send_answers(
    export: Path, url: str, delivered: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST each labelled task's answer to the service, but for the answers it
    was sent already (``delivered``: `delivered_labels`); what happened."""
    delivered = delivered or {}
    sent, refused, unlabelled, again = 0, [], 0, 0
    for exported in read_tasks(export):
        answer = answer_of(exported)
        prediction_id = (exported.get("data") or {}).get("prediction_id")
        if answer is None or not prediction_id:
            unlabelled += 1
            continue
        if prediction_id in delivered and delivered[prediction_id] == answer:
            again += 1
            continue
        body = {"prediction_id": prediction_id, "label": answer, "source": "labelling"}
        status, _, _ = post(url.rstrip("/") + "/feedback", json.dumps(body).encode())
        if status == 200:
            sent += 1
        else:
            refused.append(f"{prediction_id}: {answer!r} (status {status})")
    return {
        "sent": sent, "refused": refused, "unlabelled": unlabelled, "already": again
    }  # fmt: skip
