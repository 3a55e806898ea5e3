"""`python -m data labelled`: the next training set, made of the current dataset
and the production inputs that came back with their true answer.

The service keeps every answered request's body in its input log and every
true answer (a user's correction, a labeller's label) in its feedback log, both
by prediction id (serving/prediction_log.py, serving/feedback.py). This joins
the two and adds each labelled input to the training split
(`problem.production_example`); a later answer on the same id replaces an
earlier one, as in the online evaluation. The validation and evaluation splits
stay as they are, so the model trained on the new version and the model in
production are judged on the same held-out data. The result is a new dataset
version whose manifest records the source ("labelled production"), the version
it grew from and the ids of the production inputs it holds, so that the next
version adds only what is new. An input the problem no longer
accepts (the contract changed since) is quarantined with the reason.

``--shuffle-labels`` is a drill, not a way to train: it shuffles the training
split's answers, so a model trained on the result learns nothing, and the
operation loop (nox -s operate) must refuse to promote it.

``--stored STAGE`` reads both logs from the object store instead, where the
service's log shipper leaves them on the cluster (the GPU run's retraining).
"""

import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.json_lines import parse as parse_json_lines
from {{ cookiecutter.package_name }}.object_store import (
    FEEDBACK_LOG,
    INPUT_LOG,
    ObjectStore,
    shipped_log_prefix,
)
from {{ cookiecutter.package_name }}.problem import ContractError, Rejected, Source

from .dataset import Provenance, make_dataset
from .manifest import read_manifest
from .validate import read_current

SOURCE = "labelled production"


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a log (none if it does not exist); other lines skipped."""
    if not path.is_file():
        return []
    return parse_json_lines(path.read_text(encoding="utf-8", errors="replace"))[0]


def fetch_stored_logs(
    stage: str, into: Path, logs: tuple[str, ...] = (INPUT_LOG, FEEDBACK_LOG)
) -> tuple[Path, ...]:
    """A deploy stage's logs as its shipper left them in the object store
    (serving/log_shipping.py), each gathered into one file under ``into``, in
    the order of ``logs``: by default the input and feedback logs, what the GPU
    run retrains on. `StoreError` when unreachable."""
    store = ObjectStore.from_env()
    gathered = []
    for log in logs:
        path = into / f"{log}.jsonl"
        store.concatenate(shipped_log_prefix(log, stage), path)
        gathered.append(path)
    return tuple(gathered)


def latest_by_id(lines: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """The lines of a log by their id under ``key``; a later line wins."""
    return {line[key]: line for line in lines if isinstance(line.get(key), str)}


def kept_inputs(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The input log's request bodies, by prediction id."""
    return {key: line.get("input") for key, line in latest_by_id(lines, "id").items()}


def labelled_inputs(
    inputs: list[dict[str, Any]], feedback: list[dict[str, Any]]
) -> list[tuple[str, Any, Any]]:
    """(prediction id, request body, true answer) for every input with feedback."""
    answers = latest_by_id(feedback, "prediction_id")
    bodies = kept_inputs(inputs)
    return [
        (key, bodies[key], answers[key].get("label"))
        for key in sorted(answers.keys() & bodies)
    ]


def add_labelled(source: Source, labelled: list[tuple[str, Any, Any]]) -> list[str]:
    """Add each labelled input to ``source``'s training split; the ids added."""
    added = []
    for prediction_id, body, label in labelled:
        name = f"production-{prediction_id}"
        try:
            example = problem.production_example(source.spec, body, label, name)
        except ContractError as error:
            content = json.dumps(body).encode()
            source.rejected.append(Rejected(name, f"refused: {error}", content))
            continue
        source.examples.append(example)
        added.append(prediction_id)
    return added


def shuffle_training_answers(source: Source, seed: int) -> None:
    """The drill: the training split's answers, shuffled among its examples."""
    training = [i for i, e in enumerate(source.examples) if e.split == "training"]
    answers = [source.examples[i].target for i in training]
    random.Random(seed).shuffle(answers)
    for index, answer in zip(training, answers, strict=True):
        source.examples[index] = replace(source.examples[index], target=answer)


def make_labelled_dataset(
    input_log: Path, feedback_log: Path, *, seed: int, shuffle_labels: bool = False
) -> dict[str, Any]:
    """Publish the current dataset plus the labelled inputs; the new manifest."""
    current = read_manifest() or {}
    # The inputs earlier versions took in: the logs keep them, the dataset has them.
    taken = current.get("options", {}).get("production_ids", [])
    source = read_current(paths.dataset_dir())
    labelled = labelled_inputs(json_lines(input_log), json_lines(feedback_log))
    added = add_labelled(source, [item for item in labelled if item[0] not in taken])
    if shuffle_labels:
        shuffle_training_answers(source, seed)
    options = {
        "grown_from": current.get("version"),
        "added": len(added),
        "production_ids": sorted({*taken, *added}),
        "input_log": str(input_log),
        "feedback_log": str(feedback_log),
        "shuffled_labels": shuffle_labels,
    }
    return make_dataset(source, Provenance(SOURCE, seed, options), seed)
