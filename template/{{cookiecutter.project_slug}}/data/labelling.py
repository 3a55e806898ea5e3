"""`python -m data.labelling sample|answers`: production inputs to Label Studio,
and its labels back to the service.

``sample`` picks served inputs for labelling, as the course's lab does, from
the service's logs (prediction, input and feedback; serving/prediction_log.py):

- every answer a user said was wrong (their feedback differs from it): a
  labeller confirms or corrects the user;
- the least confident answers of a classifier (``--low-confidence N``);
- a random few of the rest (``--random N``, seeded), so that labelled data is
  not only the hard cases.

An input a labeller already answered is never picked again. It writes, under
``--out`` (default artifacts/labelling/), ``tasks.json`` in Label Studio's
import format (each task's data as the problem shows it, `problem.labelling_data`,
with the prediction id, why it was picked, and the model's answer as a
pre-annotation) and ``config.xml``, the labelling interface
(`problem.labelling_config`).

``answers EXPORT --url SERVICE`` reads a Label Studio JSON export and sends
each task's latest answer to the service's ``POST /feedback`` by the task's
prediction id, as source "labelling". An answer the service refuses (a label
the problem does not have) is listed, and the others still go.

Label Studio's API is not called from here. Import tasks.json in the project
(Data Manager > Import, or ``POST /api/projects/ID/import`` with the tasks as
its JSON body and ``Authorization: Token KEY``) and export with ``GET
/api/projects/ID/export?exportType=JSON``. No Label Studio server runs in the
tests (a Django application, too heavy for every CI run), so a client here
would be code nobody has run; the files are its formats, and nox -s operate
takes them through the whole way with emulated labellers.
"""

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.problem import ContractError, ProblemDataError

from .labelled import json_lines, kept_inputs, latest_by_id
from .production_traffic import post

DEFAULT_COUNT = 20
SEED = 11
# A user's value within this share of the answer agrees with it (regression).
AGREEING_SHARE = 0.1


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


def sample(out: Path, random_count: int, low_confidence: int) -> list[dict[str, Any]]:
    """Write tasks.json and config.xml under ``out``; the tasks."""
    spec = problem.read_spec(paths.contracts_dir())
    answered = latest_by_id(json_lines(paths.prediction_log_path()), "id")
    feedback = json_lines(paths.feedback_log_path())
    bodies = kept_inputs(json_lines(paths.input_log_path()))
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


def send_answers(export: Path, url: str) -> dict[str, Any]:
    """POST each labelled task's answer to the service; what happened."""
    sent, refused, unlabelled = 0, [], 0
    for exported in json.loads(export.read_text()):
        answer = answer_of(exported)
        prediction_id = (exported.get("data") or {}).get("prediction_id")
        if answer is None or not prediction_id:
            unlabelled += 1
            continue
        body = {"prediction_id": prediction_id, "label": answer, "source": "labelling"}
        status, _, _ = post(url.rstrip("/") + "/feedback", json.dumps(body).encode())
        if status == 200:
            sent += 1
        else:
            refused.append(f"{prediction_id}: {answer!r} (status {status})")
    return {"sent": sent, "refused": refused, "unlabelled": unlabelled}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data labelling", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    picking = commands.add_parser("sample", help="pick served inputs for labelling")
    picking.add_argument("--random", type=int, default=DEFAULT_COUNT)
    picking.add_argument("--low-confidence", type=int, default=DEFAULT_COUNT)
    default_out = paths.artifacts_dir() / "labelling"
    picking.add_argument("--out", type=Path, default=default_out)
    back = commands.add_parser("answers", help="send a Label Studio export's labels")
    back.add_argument("export", type=Path)
    back.add_argument("--url", required=True, help="the service, e.g. http://host:3000")
    args = parser.parse_args(argv)
    try:
        if args.command == "sample":
            tasks = sample(args.out, args.random, args.low_confidence)
            reasons: dict[str, int] = {}
            for item in tasks:
                why = item["data"]["why"].split(" (")[0]
                reasons[why] = reasons.get(why, 0) + 1
            where = args.out / "tasks.json"
            print(f"{len(tasks)} tasks for labelling in {where}: {reasons or 'none'}")
            return 0
        result = send_answers(args.export, args.url)
    except (ProblemDataError, OSError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"labels sent: {result['sent']}, not labelled: {result['unlabelled']}")
    for line in result["refused"]:
        print(f"refused: {line}")
    return 1 if result["refused"] else 0


if __name__ == "__main__":
    sys.exit(main())
