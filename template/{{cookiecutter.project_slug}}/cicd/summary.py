"""The pipeline's last step: one page saying what every stage produced.

`python -m cicd.summary` reads the artifacts each room wrote, prints a table and
writes it to reports/pipeline.md. A stage whose artifact is missing, or no longer
has the fields read here, is reported as such and makes the command fail, so a
silently skipped stage cannot look green.
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
    # Per split: examples per label (classification) or {"rows": n} (regression).
    counts = ", ".join(
        f"{split} {sum(split_counts.values())}"
        for split, split_counts in manifest["splits"].items()
    )
    return (
        f"{counts}; {manifest['quarantined_count']} quarantined; "
        f"version `{manifest['version'][:12]}`"
    )


def training_line(training: dict) -> str:
    cost, tracking = training["cost"], training["tracking"]
    return (
        f"{len(training['epochs'])} epochs in {cost['wall_time_s']:.1f} s on "
        f"{cost['device']}, {cost['samples_per_s']:.0f} samples/s; "
        f"{tracking['tracker']} run `{tracking['run_id']}` ({tracking['mode']})"
    )


def evaluation_line(evaluation: dict) -> str:
    """The offline quality against the model-free baseline and the bar."""
    verdict = "passes" if evaluation["passed"] else "FAILS"
    baseline = evaluation["baseline"]
    if evaluation["metric"] == "accuracy":
        # A class absent from the evaluation split has no accuracy (None).
        measured = evaluation["per_class_accuracy"].items()
        per_class = {name: value for name, value in measured if value is not None}
        worst = min(per_class, key=per_class.get)
        return (
            f"accuracy {evaluation['accuracy']:.3f} {verdict} the bar "
            f"{evaluation['bar']:.2f} ({baseline['name']} baseline "
            f"{baseline['accuracy']:.3f}); weakest class {worst} {per_class[worst]:.3f}"
        )
    return (
        f"MAE {evaluation['mae']:.3f} {verdict} the bar {evaluation['bar']:.2f} x "
        f"the {baseline['name']}'s MAE {baseline['mae']:.3f}; "
        f"RMSE {evaluation['rmse']:.3f}"
    )


def serving_line(smoke: dict) -> str:
    latency = smoke["latency_ms"]
    return (
        f"{smoke['requests_sent']} requests, {smoke['predictions_answered']} "
        f"predictions, {smoke.get('feedback_sent', 0)} feedback, "
        f"{len(smoke['errors'])} errors, p50 {latency['p50']} ms, "
        f"p95 {latency['p95']} ms; contract sample -> {smoke['sample']['prediction']}"
    )


def drift_line(drift: dict) -> str:
    verdict = "DRIFT" if drift["drifted"] else "no drift"
    return f"{verdict} over {drift['production']['count']} production samples"


def online_line(online: dict) -> str:
    metric = online["metric"]
    parts = []
    for stage, numbers in online["stages"].items():
        value = numbers[metric]
        shown = "no feedback yet" if value is None else f"{metric} {value:.3f}"
        parts.append(f"{stage}: {shown} on {numbers['labelled']} labelled predictions")
    return "; ".join(parts) or "no predictions logged"


STAGES = (
    ("data", lambda: paths.artifacts_dir() / "data" / "manifest.json", data_line),
    ("training", lambda: paths.metrics_dir() / "training.json", training_line),
    ("evaluation", paths.evaluation_path, evaluation_line),
    ("serving", lambda: paths.artifacts_dir() / "serving" / "smoke.json", serving_line),
    ("monitoring", lambda: paths.monitoring_dir() / "drift.json", drift_line),
    ("online", lambda: paths.monitoring_dir() / "online.json", online_line),
)


def summarize() -> tuple[str, bool]:
    rows, complete = [], True
    for stage, locate, describe in STAGES:
        artifact = read_json(locate())
        if artifact is None:
            rows.append(f"| {stage} | MISSING: {locate()} |")
            complete = False
            continue
        try:
            rows.append(f"| {stage} | {describe(artifact)} |")
        except (KeyError, TypeError, ValueError) as error:
            # A room changed its artifact's shape: say so rather than guess.
            rows.append(f"| {stage} | UNREADABLE: {locate()} ({error!r}) |")
            complete = False
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
