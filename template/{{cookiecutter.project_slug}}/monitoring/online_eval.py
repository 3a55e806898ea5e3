"""Online evaluation: the served model's quality, from feedback on its answers.

Usage: python -m monitoring.online_eval [--predictions PATH|s3://BUCKET/PREFIX]
       [--feedback PATH|s3://BUCKET/PREFIX] [--window-minutes N] [--out PATH]

Joins the service's prediction log with its feedback log (serving/feedback.py),
local files or what the service's shipper stored (serving/log_shipping.py), by
prediction id, and scores every prediction that got a true answer with the
metric training is judged by (`quality.primary_metric`): per deployment stage
(the log's ``stage``: staging, canary, production, local), overall and per time
window, so a canary and production are compared on the same footing. Prints a
table and writes artifacts/monitoring/online.json.

A later feedback on the same id replaces an earlier one (a labeller correcting
a user). Feedback on an id the prediction log lacks is counted as unmatched, not
scored: its prediction may be in a log not read here.

Exit codes: 0 evaluated (with or without feedback); 2 a log or the contract's
problem.json is missing or unreadable.
"""

import argparse
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import json_lines, paths, quality
from {{ cookiecutter.package_name }}.object_store import is_location
from {{ cookiecutter.package_name }}.spec import ProblemDataError, Spec, read_spec

from . import stored_log
from .records import RecordsError

DEFAULT_WINDOW_MINUTES = 60


def read_lines(path: Path, what: str) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of a log, and how many lines were not one."""
    if not path.is_file():
        raise RecordsError(f"{what} not found: {path}")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise RecordsError(f"{what} {path} is unreadable: {error}") from None
    return json_lines.parse(text)


def window_start(time: object, minutes: float) -> str:
    """The start of the ``minutes``-long window of the day ``time`` falls in."""
    try:
        moment = datetime.fromisoformat(str(time)).astimezone(UTC)
    except ValueError:
        return "unknown"
    since_midnight = moment - moment.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = since_midnight % timedelta(minutes=minutes)
    return (moment - offset).replace(microsecond=0).isoformat()


def scored(spec: Spec, pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    """``pairs`` of (truth, prediction) -> their count and the primary metric."""
    metric, _ = quality.primary_metric(spec)
    measured = quality.quality(spec, *zip(*pairs, strict=True)) if pairs else {}
    return {"labelled": len(pairs), metric: measured.get(metric)}


def evaluate(
    spec: Spec,
    predictions: list[dict[str, Any]],
    feedback: list[dict[str, Any]],
    window_minutes: float = DEFAULT_WINDOW_MINUTES,
) -> dict[str, Any]:
    # Lines without an id (older logs, hand-made lines) join nothing.
    truth = {
        entry["prediction_id"]: entry.get("label")
        for entry in feedback
        if entry.get("prediction_id")
    }
    logged = {record["id"] for record in predictions if record.get("id")}
    per_stage: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    per_window: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    answered: dict[str, int] = defaultdict(int)
    for record in predictions:
        stage = str(record.get("stage", "local"))
        answered[stage] += 1
        if record.get("id") not in truth:  # None is never a key of truth
            continue
        pair = (truth[record["id"]], record.get("prediction"))
        per_stage[stage].append(pair)
        window = window_start(record.get("time"), window_minutes)
        per_window[stage][window].append(pair)
    metric, higher_is_better = quality.primary_metric(spec)
    stages = {
        stage: {
            "predictions": answered[stage],
            **scored(spec, per_stage[stage]),
            "windows": [
                {"start": start, **scored(spec, pairs)}
                for start, pairs in sorted(per_window[stage].items())
            ],
        }
        for stage in sorted(answered)
    }
    return {
        "metric": metric,
        "higher_is_better": higher_is_better,
        "window_minutes": window_minutes,
        "stages": stages,
        "unmatched_feedback": len(set(truth) - logged),
    }


def table(result: dict[str, Any]) -> str:
    metric = result["metric"]
    rows = [f"{'stage':<12} {'predictions':>11} {'labelled':>9} {metric:>9}"]
    for stage, numbers in result["stages"].items():
        value = numbers[metric]
        shown = "-" if value is None else f"{value:.3f}"
        rows.append(
            f"{stage:<12} {numbers['predictions']:>11} {numbers['labelled']:>9}"
            f" {shown:>9}"
        )
    return "\n".join(rows)


def local(location: str, what: str) -> Path:
    """A log's local file: itself, or the shipped objects fetched into one."""
    if not is_location(location):
        return Path(location)
    name = what.replace(" ", "-") + ".jsonl"
    return stored_log.fetch(location, paths.monitoring_dir() / "stored" / name, what)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.online_eval", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--predictions", default=str(paths.prediction_log_path()))
    parser.add_argument("--feedback", default=str(paths.feedback_log_path()))
    # Fractions too: a compressed day (nox -s operate) has minutes for hours.
    parser.add_argument("--window-minutes", type=float, default=DEFAULT_WINDOW_MINUTES)
    parser.add_argument(
        "--out", type=Path, default=paths.monitoring_dir() / "online.json"
    )
    args = parser.parse_args(argv)
    if args.window_minutes <= 0:
        parser.error("--window-minutes must be more than zero")
    try:
        # The problem as the contract states it (labels, or the target).
        spec = read_spec(paths.contracts_dir())
        predictions, bad_predictions = read_lines(
            local(args.predictions, "prediction log"), "prediction log"
        )
        feedback, bad_feedback = read_lines(
            local(args.feedback, "feedback log"), "feedback log"
        )
    except (ProblemDataError, RecordsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = evaluate(spec, predictions, feedback, args.window_minutes)
    result["skipped_lines"] = bad_predictions + bad_feedback
    print(table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"online evaluation: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
