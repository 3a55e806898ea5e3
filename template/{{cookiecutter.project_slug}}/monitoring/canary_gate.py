"""The canary gate: promote the canary only when its own metrics hold up against
production's over the same stretch of live traffic; otherwise roll it back.

Usage:
  python -m monitoring.canary_gate --canary URL --production URL [--window SECONDS]
  python -m monitoring.canary_gate --canary FILE --production FILE

Each deployment's /metrics is scraped at the start and at the end of the window
and the gate judges what happened in between (a saved scrape counts as one
whole window). Four checks, each against a limit:

- traffic: the canary answered at least MIN_REQUESTS predictions; without that
  there is no evidence, and no evidence fails;
- errors: its share of 5xx answers to /predict is at most production's plus
  ERROR_MARGIN (4xx answers are the clients' mistakes);
- latency: its p95 on /predict is at most production's times LATENCY_RATIO,
  plus LATENCY_SLACK_SECONDS;
- predictions: the mix of predicted classes (or the histogram of predicted
  values) is within the drift check's threshold of production's, and a
  classifier's median confidence has not dropped by more than the drift check
  allows (monitoring/checks.py).

A metric missing from either side fails its check and names the metric.
Exit codes: 0 promote, 1 roll back, 2 bad arguments. The verdict is also
written as JSON (default artifacts/monitoring/canary-gate.json).
"""

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.scrape import Scrape, read_scrape

from .gate_checks import GateCheck, gate_checks
from .scrape_window import window

SCRAPE_TIMEOUT_SECONDS = 10


def judge(canary: Scrape, production: Scrape) -> dict[str, object]:
    """The verdict on two windows of traffic, as JSON data."""
    checks = gate_checks(canary, production)
    return {
        "verdict": "promote" if all(check.passed for check in checks) else "rollback",
        "checks": [check.to_dict() for check in checks],
    }


class Unreadable(Exception):
    """A deployment's metrics could not be read; the message names which."""


def read(source: str) -> Scrape:
    """A scrape from a URL (its /metrics) or a saved file."""
    try:
        if not source.startswith(("http://", "https://")):
            return read_scrape(Path(source).read_text(encoding="utf-8"))
        with urllib.request.urlopen(source, timeout=SCRAPE_TIMEOUT_SECONDS) as answer:
            return read_scrape(answer.read().decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise Unreadable(f"could not read {source}: {error}") from None


def observed(canary: str, production: str, seconds: float) -> tuple[Scrape, Scrape]:
    """Both deployments over the same window (files: what they hold)."""
    first = (read(canary), read(production))
    if not all(s.startswith(("http://", "https://")) for s in (canary, production)):
        return first
    time.sleep(seconds)
    return window(first[0], read(canary)), window(first[1], read(production))


def unreadable(reason: str) -> dict[str, object]:
    """No evidence to promote on: an unreadable canary, or no production to
    compare it with."""
    check = GateCheck("scrape", False, None, None, None, reason)
    return {"verdict": "rollback", "checks": [check.to_dict()]}


def render(verdict: dict) -> str:
    lines = [f"Canary gate: {verdict['verdict']}"]
    for check in verdict["checks"]:
        mark = "pass" if check["passed"] else "FAIL"
        lines.append(f"  {mark}  {check['name']:<12} {check['reason']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.canary_gate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--canary", required=True, help="its /metrics URL, or a file")
    parser.add_argument("--production", required=True, help="the same for production")
    parser.add_argument("--window", type=float, default=300.0, help="seconds (URLs)")
    parser.add_argument(
        "--out", type=Path, default=paths.monitoring_dir() / "canary-gate.json"
    )
    args = parser.parse_args(argv)
    if args.window < 0:
        parser.error("--window must be zero or more seconds")
    try:
        verdict = judge(*observed(args.canary, args.production, args.window))
    except Unreadable as error:
        verdict = unreadable(str(error))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(verdict, indent=2) + "\n", encoding="utf-8")
    print(render(verdict))
    print(f"Written to {args.out}")
    return 0 if verdict["verdict"] == "promote" else 1


if __name__ == "__main__":
    sys.exit(main())
