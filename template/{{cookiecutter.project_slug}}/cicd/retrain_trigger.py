"""The cluster's retraining trigger: ``python -m cicd.retrain_trigger --trigger
schedule|alerts [--prometheus URL] [--reasons-file PATH] [--cooldown-hours H]``.

Argo Workflows runs it on the cluster (cicd/k8s/pipelines/): daily with
``--trigger schedule``, the course's daily retrain, and hourly with
``--trigger alerts``. The reasons to retrain are the schedule, the alerts
firing in production's Prometheus that the monitoring room labels
``action: retrain`` (monitoring/prometheus/alerts.yml: drift in the model's
answers), and the quality alerts of the online evaluation run just before it
(``--reasons-file``: one per line, written by ``python -m
monitoring.online_eval --alert-out``; no file means that evaluation failed,
which is said, not a reason). With a reason, and no GPU run started by a
dispatch within the cool-down, it starts the GPU run
(.github/workflows/gpu-training.yml on main)
through GitHub's REST API: that run trains and registers a candidate, and
deploy.yml takes it through staging and the canary gate, rolling it back when
the gate fails. Without a reason, or within the cool-down, it says why not.

Standard library only: the workflow runs it in a plain Python container image
on a checkout of this repository. Exit codes: 0 a run was started or none was
needed (the output says which); 1 Prometheus or GitHub could not be asked.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .github_api import GitHub, GitHubError, quoted

WORKFLOW = "gpu-training.yml"
BRANCH = "main"
RETRAIN_LABEL = ("action", "retrain")


class PrometheusError(RuntimeError):
    """Prometheus could not be reached or did not answer as documented."""


def firing_retrain_alerts(prometheus: str) -> list[str]:
    """The firing alerts labelled as reasons to retrain, each with its labels."""
    url = prometheus.rstrip("/") + "/api/v1/alerts"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            answer = json.load(response)
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as error:
        raise PrometheusError(f"GET {url}: {error}") from error
    if answer.get("status") != "success":
        raise PrometheusError(f"GET {url}: {answer.get('error', answer)}")
    key, value = RETRAIN_LABEL
    reasons = []
    for alert in answer["data"]["alerts"]:
        labels = alert.get("labels", {})
        if alert.get("state") == "firing" and labels.get(key) == value:
            detail = ", ".join(
                f"{name}={label}"
                for name, label in sorted(labels.items())
                if name not in ("alertname", key, "severity")
            )
            reasons.append(
                f"alert {labels['alertname']}" + (f" ({detail})" if detail else "")
            )
    return sorted(reasons)


def reasons_in_file(path: Path) -> list[str]:
    """The reasons written one per line into ``path``; none if it is missing."""
    if not path.is_file():
        print(f"no quality verdict: {path} was not written", file=sys.stderr)
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip()]


def reasons_to_retrain(
    trigger: str, prometheus: str | None, reasons_file: Path | None = None
) -> list[str]:
    reasons = ["schedule: the daily retrain"] if trigger == "schedule" else []
    if prometheus:
        reasons += firing_retrain_alerts(prometheus)
    if reasons_file:
        reasons += reasons_in_file(reasons_file)
    return reasons


def recent_dispatch(github: GitHub, cooldown: timedelta, now: datetime) -> str | None:
    """The GPU run a dispatch started within the cool-down, described, or None."""
    path = (
        f"/actions/workflows/{quoted(WORKFLOW)}/runs?event=workflow_dispatch&per_page=1"
    )
    answer = github.call("GET", github.repo_url(path)) or {}
    for run in answer.get("workflow_runs", []):
        started = datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))
        if now - started < cooldown:
            return f"run {run['id']} ({run['status']}) started {run['created_at']}"
    return None


def dispatch(github: GitHub) -> None:
    url = github.repo_url(f"/actions/workflows/{quoted(WORKFLOW)}/dispatches")
    github.call("POST", url, {"ref": BRANCH})


def decide(args: argparse.Namespace, github: GitHub, now: datetime) -> str:
    """What was done, in one line."""
    reasons = reasons_to_retrain(args.trigger, args.prometheus, args.reasons_file)
    if not reasons:
        quality = ", no quality alert" if args.reasons_file else ""
        return f"no reason to retrain: no alert labelled action=retrain fires{quality}"
    because = "; ".join(reasons)
    cooldown = timedelta(hours=args.cooldown_hours)
    recent = recent_dispatch(github, cooldown, now)
    if recent:
        return f"not retraining ({because}): {recent}, within {args.cooldown_hours} h"
    dispatch(github)
    return f"started {WORKFLOW} on {BRANCH}: {because}"


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="python -m cicd.retrain_trigger", description=__doc__.splitlines()[0]
    )
    parse.add_argument("--trigger", choices=("schedule", "alerts"), required=True)
    parse.add_argument(
        "--prometheus",
        metavar="URL",
        help="production's Prometheus (no URL: no alerts)",
    )
    parse.add_argument(
        "--reasons-file",
        type=Path,
        metavar="PATH",
        help="more reasons, one per line (the online evaluation's quality alerts)",
    )
    parse.add_argument(
        "--cooldown-hours",
        type=float,
        default=12.0,
        help="no new GPU run within this many hours of the last dispatched one",
    )
    return parse


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    github = GitHub.from_environment()
    try:
        print(decide(args, github, datetime.now(UTC)))
    except (PrometheusError, GitHubError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
