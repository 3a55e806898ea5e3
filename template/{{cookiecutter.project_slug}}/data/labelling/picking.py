"""What to label: served inputs picked as the course's lab does, written as
Label Studio tasks (`python -m data.labelling sample`, see cli.py)."""

import json
import random
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.object_store import FEEDBACK_LOG, INPUT_LOG, PREDICTION_LOG
from {{ cookiecutter.package_name }}.problem import ContractError

from ..labelled import fetch_stored_logs, json_lines, kept_inputs, latest_by_id

DEFAULT_COUNT = 20
SEED = 11
# A user's value within this share of the answer agrees with it (regression).
AGREEING_SHARE = 0.1
LOGS = (PREDICTION_LOG, INPUT_LOG, FEEDBACK_LOG)
# Where this machine's service writes each log.
LOCAL_LOGS = {
    PREDICTION_LOG: paths.prediction_log_path,
    INPUT_LOG: paths.input_log_path,
    FEEDBACK_LOG: paths.feedback_log_path,
}


def disagrees(truth: Any, answer: Any) -> bool:
    """Whether a user's answer says the model's was wrong: another label, or a
    value further than AGREEING_SHARE from it."""
    numbers = [v for v in (truth, answer) if isinstance(v, int | float)]
    if len(numbers) == 2 and not any(isinstance(v, bool) for v in numbers):
        return abs(truth - answer) > AGREEING_SHARE * max(abs(truth), abs(answer))
    return truth != answer


def pick(
    answered: dict[str, dict[str, Any]],
    feedback: list[dict[str, Any]],
    kept: set[str],
    *,
    random_count: int,
    low_confidence: int,
    seed: int = SEED,
) -> dict[str, str]:
    """prediction id -> why it is to be labelled, from the answered predictions
    by id (`latest_by_id` of the prediction log)."""
    by_users = [f for f in feedback if f.get("source") != "labelling"]
    users = latest_by_id(by_users, "prediction_id")
    labelled = {
        f.get("prediction_id") for f in feedback if f.get("source") == "labelling"
    }
    open_ids = [key for key in answered if key in kept and key not in labelled]
    chosen: dict[str, str] = {}
    for key in open_ids:
        said = users.get(key, {}).get("label")
        if key in users and disagrees(said, answered[key].get("prediction")):
            chosen[key] = "a user said it was wrong"
    scored = [key for key in open_ids if "probability" in answered[key]]
    confident = [key for key in scored if key not in chosen]
    confident.sort(key=lambda k: answered[k]["probability"])
    for key in confident[:low_confidence]:
        chosen[key] = f"low confidence ({answered[key]['probability']:.2f})"
    rest = sorted(k for k in open_ids if k not in chosen)
    for key in random.Random(seed).sample(rest, min(random_count, len(rest))):
        chosen[key] = "random"
    return chosen


def task(
    spec: problem.Spec, prediction: dict[str, Any], body: Any, why: str
) -> dict[str, Any]:
    """One Label Studio task: what the labeller sees, and the model's answer."""
    shown = problem.labelling_data(spec, body)
    answer = prediction.get("prediction")
    control = "choices" if spec.classification else "number"
    value = {control: [answer] if spec.classification else answer}
    result = {
        "from_name": problem.LABELLING_ANSWER,
        "to_name": next(iter(shown)),
        "type": control,
    }
    model = {"model_version": prediction.get("stage", "local")}
    return {
        "data": {**shown, "prediction_id": prediction["id"], "why": why},
        "predictions": [{**model, "result": [{**result, "value": value}]}],
    }


def served_logs(stored: str | None, logs: tuple[str, ...] = LOGS) -> tuple[Path, ...]:
    """The service's ``logs`` (by default the prediction, input and feedback
    logs): this machine's service's, or those a deploy stage's shipper stored
    (``stored``: its name)."""
    if stored is None:
        return tuple(LOCAL_LOGS[log]() for log in logs)
    into = paths.artifacts_dir() / "stored-logs" / stored
    return fetch_stored_logs(stored, into, logs)


def sample(
    out: Path, random_count: int, low_confidence: int, stored: str | None = None
) -> list[dict[str, Any]]:
    """Write tasks.json and config.xml under ``out``; the tasks. The served
    inputs are this machine's, or a deploy stage's in the object store."""
    spec = problem.read_spec(paths.contracts_dir())
    predictions, inputs, feedback_log = served_logs(stored)
    answered = latest_by_id(json_lines(predictions), "id")
    feedback = json_lines(feedback_log)
    bodies = kept_inputs(json_lines(inputs))
    chosen = pick(
        answered, feedback, set(bodies),
        random_count=random_count, low_confidence=low_confidence,
    )  # fmt: skip
    tasks = []
    for key, why in chosen.items():
        try:
            tasks.append(task(spec, answered[key], bodies[key], why))
        except ContractError:
            continue  # an input the contract no longer accepts: nothing to label
    out.mkdir(parents=True, exist_ok=True)
    (out / "tasks.json").write_text(json.dumps(tasks, indent=1) + "\n")
    (out / "config.xml").write_text(problem.labelling_config(spec) + "\n")
    return tasks
