"""`python -m data.labelling sample|push|pull|answers`: production inputs to
Label Studio, and its labels back to the service.

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

``--stored STAGE`` reads a deploy stage's logs from the object store instead
of this machine's, as the cluster's label-sync does.

``push`` imports those tasks into the team's Label Studio project (made with
that interface if it has none), leaving out the inputs already there: a task
that waits for a labeller is picked again by the next ``sample``, and is not
imported twice. ``pull`` exports the project (``--export``, default
artifacts/labelling/export.json) and, given the service's ``--url``, sends
its labels as ``answers`` does. Both talk to ``--label-studio URL`` (default
LABEL_STUDIO_URL) with the token in LABEL_STUDIO_API_KEY (label_studio.py).

``answers EXPORT --url SERVICE`` reads a Label Studio JSON export and sends
each task's latest answer to the service's ``POST /feedback`` by the task's
prediction id, as source "labelling", unless the service's feedback log (or
a stage's stored one, ``--stored``) shows it was sent already. An answer the
service refuses (a label the problem does not have) is listed, and the
others still go.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.object_store import FEEDBACK_LOG, StoreError
from {{ cookiecutter.package_name }}.problem import ProblemDataError

from ..labelled import json_lines
from . import label_studio
from .answers import delivered_labels, send_answers
from .picking import DEFAULT_COUNT, sample, served_logs

# The team's project in Label Studio, made by the first push.
PROJECT_TITLE = "{{ cookiecutter.project_name }} labelling"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m data.labelling", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    default_out = paths.artifacts_dir() / "labelling"
    picking = commands.add_parser("sample", help="pick served inputs for labelling")
    picking.add_argument("--random", type=int, default=DEFAULT_COUNT)
    picking.add_argument("--low-confidence", type=int, default=DEFAULT_COUNT)
    picking.add_argument("--out", type=Path, default=default_out)
    picking.add_argument(
        "--stored", metavar="STAGE", help="a deploy stage's logs in the object store"
    )
    studio = argparse.ArgumentParser(add_help=False)
    studio.add_argument(
        "--label-studio",
        metavar="URL",
        default=os.environ.get(label_studio.URL_VARIABLE),
        help=f"Label Studio's address (default: {label_studio.URL_VARIABLE})",
    )
    studio.add_argument("--project", default=PROJECT_TITLE, help="its project's title")
    pushing = commands.add_parser(
        "push", parents=[studio], help="import the sampled tasks into Label Studio"
    )
    pushing.add_argument(
        "--tasks", type=Path, default=default_out, help="the folder `sample` wrote"
    )
    pulling = commands.add_parser(
        "pull", parents=[studio], help="export Label Studio's labels (and send them)"
    )
    pulling.add_argument("--export", type=Path, default=default_out / "export.json")
    pulling.add_argument("--url", help="the service to send the labels to")
    back = commands.add_parser("answers", help="send a Label Studio export's labels")
    back.add_argument("export", type=Path)
    back.add_argument("--url", required=True, help="the service, e.g. http://host:3000")
    for sending in (pulling, back):
        sending.add_argument(
            "--stored",
            metavar="STAGE",
            help="the labels sent before are in this stage's stored feedback log",
        )
    args = parser.parse_args(argv)
    if args.command in ("push", "pull") and not args.label_studio:
        parser.error(f"--label-studio or {label_studio.URL_VARIABLE} is needed")
    return args


def report_sample(tasks: list[dict[str, Any]], out: Path) -> None:
    reasons: dict[str, int] = {}
    for item in tasks:
        why = item["data"]["why"].split(" (")[0]
        reasons[why] = reasons.get(why, 0) + 1
    where = out / "tasks.json"
    print(f"{len(tasks)} tasks for labelling in {where}: {reasons or 'none'}")


def send_and_report(export: Path, url: str, stored: str | None) -> int:
    """Send the export's labels that the service (this machine's, or the
    stage ``stored`` names) has not had yet; 1 if it refused any."""
    (feedback,) = served_logs(stored, (FEEDBACK_LOG,))
    result = send_answers(export, url, delivered_labels(json_lines(feedback)))
    counts = f"not labelled: {result['unlabelled']}, sent before: {result['already']}"
    print(f"labels sent: {result['sent']}, {counts}")
    for line in result["refused"]:
        print(f"refused: {line}")
    return 1 if result["refused"] else 0


def run(args: argparse.Namespace) -> int:
    if args.command == "sample":
        tasks = sample(args.out, args.random, args.low_confidence, args.stored)
        report_sample(tasks, args.out)
        return 0
    if args.command == "answers":
        return send_and_report(args.export, args.url, args.stored)
    client = label_studio.LabelStudio(args.label_studio)
    if args.command == "push":
        imported, present = label_studio.push(client, args.project, args.tasks)
        title = repr(args.project)
        print(f"{imported} tasks imported into {title}, {present} there already")
        return 0
    count = label_studio.pull(client, args.project, args.export)
    print(f"{count} tasks of {args.project!r} exported to {args.export}")
    return send_and_report(args.export, args.url, args.stored) if args.url else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (
        ProblemDataError,
        StoreError,
        label_studio.LabelStudioError,
        OSError,
        json.JSONDecodeError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
