"""Compare production inputs and predictions with the training reference.

Usage: python -m monitoring.drift [--reference PATH] [--production PATH]
       [--out PATH] [--fail-on-drift] [--min-samples N]

Reads the reference training wrote (artifacts/monitoring/reference.json) and the
service's prediction log (artifacts/production/predictions.jsonl or
$PREDICTION_LOG; or, with `--production s3://BUCKET/PREFIX`, what the service's
shipper stored there), runs the checks in `monitoring.checks`, prints a table and
writes artifacts/monitoring/drift.json.

Exit codes: 0 the check ran (drift or not); 1 drift found and --fail-on-drift
given; 2 the check could not run (missing or unreadable reference or log, or
fewer than --min-samples usable production records).
"""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.object_store import is_location

from . import metrics, stored_log
from .checks import Check, run_checks
from .records import (
    ProductionLog,
    RecordsError,
    Reference,
    load_prediction_log,
    load_reference,
)

# Fewer production records than this say too little about a distribution:
# the noise floors would be so high that no check could ever fire.
DEFAULT_MIN_SAMPLES = 30


def default_output_path() -> Path:
    return paths.monitoring_dir() / "drift.json"


def drifted_names(checks: list[Check]) -> list[str]:
    return [f"{check.subject} {check.statistic}" for check in checks if check.drifted]


def build_report(
    checks: list[Check], reference: Reference, production: ProductionLog
) -> dict[str, object]:
    drifted = drifted_names(checks)
    report: dict[str, object] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "drifted": bool(drifted),
        "drifted_checks": drifted,
        "task": reference.task,
        "reference": {
            "path": str(reference.path),
            "count": reference.count,
            "dataset_version": reference.dataset_version,
        },
        "production": {
            "path": str(production.path),
            "count": production.count,
            "skipped_lines": production.skipped,
            "first_time": production.first_time,
            "last_time": production.last_time,
        },
        "checks": [check.to_dict() for check in checks],
    }
    scrape = metrics.default_scrape_path()
    if scrape.is_file():
        try:
            report["service_metrics"] = metrics.summarize_file(scrape)
        except (ValueError, KeyError, UnicodeDecodeError) as error:
            # The scrape only adds context; a bad one must not hide the verdict.
            print(f"warning: ignoring {scrape}: {error}", file=sys.stderr)
    return report


def render_table(checks: list[Check]) -> str:
    rows = [("subject", "statistic", "value", "threshold", "verdict")]
    rows += [
        (
            check.subject,
            check.statistic,
            f"{check.value:.4f}",
            f"{check.threshold:.4f}",
            "DRIFT" if check.drifted else "ok",
        )
        for check in checks
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    return "\n".join(
        "  ".join(
            cell.rjust(width) if column in (2, 3) else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.drift", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="training reference (default: artifacts/monitoring/reference.json)",
    )
    parser.add_argument(
        "--production",
        default=None,
        help="prediction log, JSON lines, or s3://BUCKET/PREFIX of the shipped one "
        "(default: artifacts/production/predictions.jsonl or $PREDICTION_LOG)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="report to write (default: artifacts/monitoring/drift.json)",
    )
    parser.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit with status 1 when any check finds drift",
    )
    parser.add_argument(
        "--min-samples",
        type=int,
        default=DEFAULT_MIN_SAMPLES,
        help="fewest usable production records to judge (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.min_samples < 1:
        parser.error("--min-samples must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    reference_path = args.reference or paths.reference_path()
    production_path = Path(args.production or paths.prediction_log_path())
    out_path = args.out or default_output_path()
    try:
        reference = load_reference(reference_path)
        if args.production and is_location(args.production):
            local = paths.monitoring_dir() / "production-log.jsonl"
            production_path = stored_log.fetch(args.production, local)
        production = load_prediction_log(production_path, reference)
    except RecordsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if production.skipped:
        print(
            f"warning: skipped {production.skipped} bad line(s) in {production_path}: "
            + "; ".join(production.skipped_examples),
            file=sys.stderr,
        )
    if production.count < args.min_samples:
        print(
            f"error: only {production.count} usable production record(s) in "
            f"{production_path} ({production.skipped} bad line(s) skipped); "
            f"at least {args.min_samples} are needed (--min-samples). "
            "Send more traffic to the service first.",
            file=sys.stderr,
        )
        return 2

    checks = run_checks(reference, production)
    report = build_report(checks, reference, production)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(
        f"Drift check: {production.count} production records "
        f"({production.skipped} bad lines skipped) vs {reference.count} "
        "reference records"
    )
    print(render_table(checks))
    drifted = drifted_names(checks)
    print("Overall: " + ("DRIFT in " + ", ".join(drifted) if drifted else "no drift"))
    print(f"Written to {out_path}")
    return 1 if drifted and args.fail_on_drift else 0


if __name__ == "__main__":
    sys.exit(main())
