"""The pipeline's last step: one page saying what every stage produced.

`python -m cicd.summary` reads the artifacts each room wrote, prints a table and
writes it to reports/pipeline.md. A stage whose artifact is missing is reported as
missing and makes the command fail, so a silently skipped stage cannot look green.
"""

import json
import sys
from pathlib import Path

from {{ cookiecutter.package_name }} import paths

PROJECT_NAME = "{{ cookiecutter.project_name }}"


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def data_line(manifest: dict) -> str:
    splits = manifest.get("splits", {})
    counts = ", ".join(
        f"{split} {sum(classes.values())}" for split, classes in splits.items()
    )
    quarantined = manifest.get("quarantined_count", len(manifest.get("quarantined", [])))
    version = str(manifest.get("version", "?"))[:12]
    return f"{counts}; {quarantined} quarantined; version `{version}`"


def training_line(training: dict) -> str:
    return (
        f"{training.get('epochs_completed', len(training.get('epochs', [])))} epochs "
        f"in {training.get('wall_time_s', 0):.1f} s on {training.get('device', '?')}, "
        f"{training.get('samples_per_s', 0):.0f} samples/s"
    )


def evaluation_line(evaluation: dict) -> str:
    per_class = evaluation.get("per_class_accuracy", {})
    worst = min(per_class, key=per_class.get) if per_class else "?"
    return (
        f"accuracy {evaluation['accuracy']:.3f} (bar {evaluation['min_accuracy']:.2f}, "
        f"majority baseline {evaluation.get('baseline_accuracy', 0):.3f}); "
        f"weakest class {worst} {per_class.get(worst, 0):.3f}"
    )


def serving_line(smoke: dict) -> str:
    return (
        f"{smoke.get('requests', 0)} requests, {smoke.get('errors', 0)} errors, "
        f"p50 {smoke.get('latency_ms', {}).get('p50', 0):.1f} ms, "
        f"p95 {smoke.get('latency_ms', {}).get('p95', 0):.1f} ms; sample -> "
        f"{smoke.get('sample_prediction', '?')}"
    )


def drift_line(drift: dict) -> str:
    verdict = "DRIFT" if drift.get("drifted") else "no drift"
    return f"{verdict} over {drift.get('production_samples', 0)} production samples"


STAGES = (
    ("data", lambda: paths.artifacts_dir() / "data" / "manifest.json", data_line),
    ("training", lambda: paths.metrics_dir() / "training.json", training_line),
    ("evaluation", lambda: paths.metrics_dir() / "evaluation.json", evaluation_line),
    ("serving", lambda: paths.artifacts_dir() / "serving" / "smoke.json", serving_line),
    ("monitoring", lambda: paths.monitoring_dir() / "drift.json", drift_line),
)


def summarize() -> tuple[str, bool]:
    rows, complete = [], True
    for stage, locate, describe in STAGES:
        artifact = read_json(locate())
        if artifact is None:
            rows.append(f"| {stage} | MISSING: {locate()} |")
            complete = False
        else:
            rows.append(f"| {stage} | {describe(artifact)} |")
    table = "\n".join(["| Stage | Result |", "|---|---|", *rows])
    return f"# {PROJECT_NAME}: pipeline summary\n\n{table}\n", complete


def main() -> int:
    report, complete = summarize()
    target = paths.REPO_ROOT / "reports" / "pipeline.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(report)
    print(report)
    print(f"Written to {target}")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
