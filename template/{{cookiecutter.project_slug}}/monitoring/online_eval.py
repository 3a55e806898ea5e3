"""Online evaluation: the served model's quality, from feedback on its answers.

Usage: python -m monitoring.online_eval [--predictions PATH|s3://BUCKET/PREFIX]
       [--feedback PATH|s3://BUCKET/PREFIX] [--stored STAGE] [--since-hours H]
       [--window-minutes N] [--out PATH] [--bar-config PATH --alert-out PATH]

Joins the service's prediction log with its feedback log (serving/feedback.py),
local files or what the service's shipper stored (serving/log_shipping.py), by
prediction id, and scores every prediction that got a true answer with the
metric training is judged by (`quality.primary_metric`): per deployment stage
(the log's ``stage``: staging, canary, production, local), overall and per time
window, so a canary and production are compared on the same footing. Prints a
table and writes artifacts/monitoring/online.json. ``--stored STAGE`` reads
both logs of that stage from the object store (DATA_BUCKET); ``--since-hours``
keeps only the predictions of the last hours.

A later feedback on the same id replaces an earlier one (a labeller correcting
a user). Feedback on an id the prediction log lacks is counted as unmatched, not
scored: its prediction may be in a log not read here.

The quality alert (``--alert-out``, with the quality bar from ``--bar-config``,
training's config.yaml): one line for each stage whose current model (the one
its last prediction names) fails the bar on its own answers, as training's
gate applies it (`quality.passes`), with the best
constant answer for the same labelled inputs as the baseline (the most
frequent true label, or the mean true value), since the served model's own
evaluation is not at hand on the cluster. A stage with fewer than
`quality.MIN_LABELLED` labelled predictions is not judged. An empty file: no
alert. The cluster's hourly retraining trigger reads it (cicd/k8s/pipelines/).

Exit codes: 0 evaluated (with or without feedback); 2 a log, the contract's
problem.json or the bar is missing or unreadable (no alert file then).
"""

import argparse
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from {{ cookiecutter.package_name }} import json_lines, paths, quality
from {{ cookiecutter.package_name }}.object_store import (
    FEEDBACK_LOG,
    PREDICTION_LOG,
    is_location,
    shipped_log_location,
)
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


def recent(predictions: list[dict[str, Any]], since: datetime) -> list[dict[str, Any]]:
    """The predictions made at or after ``since`` (one without a time: none)."""
    kept = []
    for record in predictions:
        try:
            moment = datetime.fromisoformat(str(record.get("time"))).astimezone(UTC)
        except ValueError:
            continue
        if moment >= since:
            kept.append(record)
    return kept


def stage_of(record: dict[str, Any]) -> str:
    return str(record.get("stage", "local"))


def current_model_only(predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each stage's predictions by the model its last prediction names (lines
    that name none, from before the log named models, count as one model)."""
    current = {stage_of(record): record.get("model") for record in predictions}
    return [r for r in predictions if r.get("model") == current[stage_of(r)]]


def scored(spec: Spec, pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    """``pairs`` of (truth, prediction) -> their count and the primary metric."""
    metric, _ = quality.primary_metric(spec)
    measured = quality.quality(spec, *zip(*pairs, strict=True)) if pairs else {}
    return {"labelled": len(pairs), metric: measured.get(metric)}


def constant_baseline(spec: Spec, pairs: list[tuple[Any, Any]]) -> dict | None:
    """The best constant answer for these true answers, scored on them; None
    without any, or with a label the problem does not know."""
    truths = [truth for truth, _ in pairs]
    try:
        return quality.baseline(spec, truths, truths) if truths else None
    except (ValueError, TypeError):
        return None


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
    models: dict[str, Any] = {}
    for record in predictions:
        stage = stage_of(record)
        answered[stage] += 1
        models[stage] = record.get("model")
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
            "latest_model": models[stage],
            **scored(spec, per_stage[stage]),
            "baseline": constant_baseline(spec, per_stage[stage]),
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


def quality_alerts(spec: Spec, result: dict[str, Any], bar: float) -> list[str]:
    """A line for each stage whose online quality fails ``bar`` (module doc)."""
    metric = result["metric"]
    alerts = []
    for stage, numbers in result["stages"].items():
        base = numbers.get("baseline")
        if numbers["labelled"] < quality.MIN_LABELLED or base is None:
            continue
        if quality.passes(spec, numbers, base, bar):
            continue
        model = numbers["latest_model"]
        alerts.append(
            f"quality alert: {stage}'s online {metric} {numbers[metric]:.3f} on "
            f"{numbers['labelled']} labelled fails the bar {bar:g} (the best "
            f"constant answer scores {base[metric]:.3f})"
            + (f", model {model}" if model else "")
        )
    return alerts


def quality_bar(path: Path) -> float:
    """The ``quality_bar`` of a training config (training/config.yaml)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RecordsError(f"the quality bar's config {path}: {error}") from None
    bar = document.get("quality_bar") if isinstance(document, dict) else None
    if isinstance(bar, bool) or not isinstance(bar, int | float) or not 0 <= bar <= 1:
        raise RecordsError(f"{path} has no quality_bar between 0 and 1")
    return float(bar)


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


def local(location: str, what: str, since: datetime | None = None) -> Path:
    """A log's local file: itself, or the shipped objects fetched into one
    (only the days from ``since`` on, if given)."""
    if not is_location(location):
        return Path(location)
    name = what.replace(" ", "-") + ".jsonl"
    into = paths.monitoring_dir() / "stored" / name
    day = since.date() if since else None
    return stored_log.fetch(location, into, what, day)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.online_eval", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--predictions")
    parser.add_argument("--feedback")
    parser.add_argument("--stored", metavar="STAGE", help="both logs from the store")
    parser.add_argument("--since-hours", type=float, metavar="H")
    # Fractions too: a compressed day (nox -s operate) has minutes for hours.
    parser.add_argument("--window-minutes", type=float, default=DEFAULT_WINDOW_MINUTES)
    parser.add_argument(
        "--out", type=Path, default=paths.monitoring_dir() / "online.json"
    )
    parser.add_argument("--bar-config", type=Path, metavar="PATH")
    parser.add_argument("--alert-out", type=Path, metavar="PATH")
    args = parser.parse_args(argv)
    if args.window_minutes <= 0:
        parser.error("--window-minutes must be more than zero")
    if args.since_hours is not None and args.since_hours <= 0:
        parser.error("--since-hours must be more than zero")
    if (args.bar_config is None) != (args.alert_out is None):
        parser.error("--alert-out and --bar-config go together")
    if args.stored:
        args.predictions = args.predictions or shipped_log_location(
            PREDICTION_LOG, args.stored
        )
        args.feedback = args.feedback or shipped_log_location(FEEDBACK_LOG, args.stored)
    args.predictions = args.predictions or str(paths.prediction_log_path())
    args.feedback = args.feedback or str(paths.feedback_log_path())
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    since = None
    if args.since_hours is not None:
        since = datetime.now(UTC) - timedelta(hours=args.since_hours)
    try:
        # The problem as the contract states it (labels, or the target).
        spec = read_spec(paths.contracts_dir())
        bar = quality_bar(args.bar_config) if args.bar_config else None
        predictions, bad_predictions = read_lines(
            local(args.predictions, "prediction log", since), "prediction log"
        )
        feedback, bad_feedback = read_lines(
            local(args.feedback, "feedback log", since), "feedback log"
        )
    except (ProblemDataError, RecordsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if since is not None:
        predictions = recent(predictions, since)
    result = evaluate(spec, predictions, feedback, args.window_minutes)
    result["skipped_lines"] = bad_predictions + bad_feedback
    print(table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"online evaluation: {args.out}")
    if bar is not None:
        current = current_model_only(predictions)
        judged = evaluate(spec, current, feedback, args.window_minutes)
        alerts = quality_alerts(spec, judged, bar)
        args.alert_out.parent.mkdir(parents=True, exist_ok=True)
        args.alert_out.write_text("".join(line + "\n" for line in alerts))
        print("\n".join(alerts) or f"no quality alert (bar {bar:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
