"""`python -m cicd.operate [--trigger schedule|alerts] [--drill shuffled-labels]`."""

import argparse
import sys

from {{ cookiecutter.package_name }} import paths

from .loop import Loop
from .report import render
from .rooms import StepFailed
from .run import DRILLS, Options


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="nox -s operate --",
        description="The production loop on one machine (cicd/docs/operate.md).",
    )
    parser.add_argument(
        "--trigger",
        choices=("schedule", "alerts"),
        default="schedule",
        help="retrain on the daily schedule (default), or only on an alert",
    )
    parser.add_argument(
        "--drill",
        choices=DRILLS,
        help="retrain on shuffled labels: a candidate the loop must reject",
    )
    parser.add_argument("--hours", type=int, default=24, help="hours in a day")
    parser.add_argument(
        "--hour-seconds", type=float, default=0.5, help="seconds per compressed hour"
    )
    parser.add_argument("--peak", type=int, default=20, help="requests, busiest hour")
    parser.add_argument("--canary-share", type=float, default=0.3)
    parser.add_argument(
        "--seed",
        type=int,
        help="the days' inputs, for a run that repeats exactly (default: new ones)",
    )
    args = parser.parse_args(argv)
    if args.hours < 1 or args.peak < 1 or args.hour_seconds <= 0:
        parser.error("--hours, --peak and --hour-seconds must be positive")
    if not 0 < args.canary_share < 1:
        parser.error("--canary-share is a share of traffic, between 0 and 1")
    return Options(
        args.trigger, args.drill, args.hours, args.hour_seconds, args.peak,
        args.canary_share, args.seed,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    loop = Loop(options)
    try:
        run = loop.operate()
    except StepFailed as error:
        print(f"operate: {error}", file=sys.stderr)
        return 2
    target = paths.REPO_ROOT / "reports" / "operation.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(run, loop.record))
    print(f"operate: {run.outcome}\nreport: {target}")
    return 0
