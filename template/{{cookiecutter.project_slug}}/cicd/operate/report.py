"""reports/operation.md: what one run of the loop saw and decided, over time."""

from datetime import UTC, datetime
from typing import Any

from cicd.summary import PROJECT_NAME

from .run import Run
from .stages import StageRecord

# The latest windows of each stage in the quality table (online.json has all).
WINDOWS_SHOWN = 24


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def figure(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def quality_over_time(online: dict[str, Any]) -> list[str]:
    metric = online.get("metric", "metric")
    rows = []
    for stage, entry in online.get("stages", {}).items():
        rows.append(
            [
                stage,
                "all",
                entry["predictions"],
                entry["labelled"],
                figure(entry.get(metric)),
            ]
        )
        for window in entry.get("windows", [])[-WINDOWS_SHOWN:]:
            rows.append(
                [
                    stage,
                    window["start"],
                    "",
                    window["labelled"],
                    figure(window.get(metric)),
                ]
            )
    if not rows:
        return ["No predictions were logged.", ""]
    return table(["stage", "window", "predictions", "labelled", metric], rows)


def traffic_lines(days: list[dict[str, Any]]) -> list[str]:
    rows = []
    for day in days:
        sent_back = day.get("feedback", {}).items()
        feedback = ", ".join(f"{count} {what}" for what, count in sent_back)
        for stage, entry in day.get("stages", {}).items():
            latency = entry["latency_ms"]
            errors = ", ".join(f"{n} x {code}" for code, n in entry["errors"].items())
            rows.append([
                day["name"], stage, entry["sent"], entry["answered"], errors or "none",
                latency.get("p50"), latency.get("p95"), feedback or "none",
            ])  # fmt: skip
    header = ["day", "stage", "sent", "answered", "errors", "p50 ms", "p95 ms"]
    return table([*header, "feedback (both stages)"], rows)


def drift_lines(drift: dict[str, Any]) -> list[str]:
    if not drift:
        return ["The drift check did not run.", ""]
    found = drift.get("drifted_checks") or []
    lines = [f"Overall: {'drift in ' + ', '.join(found) if found else 'no drift'}.", ""]
    rows = [
        [c["subject"], c["statistic"], figure(c["value"]), figure(c["threshold"]),
         "**drift**" if c["drifted"] else "no"]
        for c in drift.get("checks", [])
    ]  # fmt: skip
    return lines + table(["subject", "statistic", "value", "threshold", "drift"], rows)


def comparison_lines(comparison: dict[str, Any] | None) -> list[str]:
    if not comparison:
        return ["No candidate was trained.", ""]
    metric = comparison["metric"]
    rows = [
        [name, comparison[name]["count"], figure(comparison[name][metric]),
         "yes" if comparison[name]["passed"] else "no"]
        for name in ("production", "candidate")
    ]  # fmt: skip
    verdict = "better" if comparison["better"] else "not better"
    version = str(comparison["dataset_version"])[:12]
    return [
        f"On the evaluation split of dataset {version}: "
        f"the candidate is **{verdict}** (it must clear the gate and gain more than "
        f"{100 * comparison['min_gain']:g} %).",
        "",
        *table(["model", "examples", metric, "clears the gate"], rows),
    ]


def gate_lines(gate: dict[str, Any] | None) -> list[str]:
    if not gate:
        return ["No canary was tried.", ""]
    rows = [
        [check["name"], "pass" if check["passed"] else "**FAIL**", check["reason"]]
        for check in gate.get("checks", [])
    ]
    return [
        f"Verdict: **{gate.get('verdict')}**.",
        "",
        *table(["check", "", "reason"], rows),
    ]


def stage_lines(record: StageRecord) -> list[str]:
    rows = [
        [
            stage,
            entry["model"].rsplit("/", 1)[-1],
            entry.get("origin", ""),
            entry.get("since", ""),
        ]
        for stage, entry in record.stages.items()
    ]
    history = [
        [
            event["time"],
            event["stage"],
            "-" if event["set"] is None else event["set"]["sha256"][:12],
            event["why"],
        ]
        for event in record.history[-8:]
    ]
    return [
        *table(["stage", "model", "origin", "since"], rows),
        "Latest changes:",
        "",
        *table(["time", "stage", "model", "why"], history),
    ]


def render(run: Run, record: StageRecord) -> str:
    options = run.options
    drill = f", drill {options.drill}" if options.drill else ""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [
        f"# {PROJECT_NAME}: operation report",
        "",
        f"`nox -s operate` at {when}: trigger {options.trigger}{drill}; a day is "
        f"{options.hours} hours of {options.hour_seconds} s.",
        "",
        f"**Outcome: {run.outcome}.**",
        "",
        "## Steps",
        "",
        *table(["step", "what happened"], [list(step) for step in run.steps]),
        "## Traffic",
        "",
        *traffic_lines(run.days),
        "## Quality over time (online, from feedback)",
        "",
        *quality_over_time(run.online),
        "## Drift",
        "",
        *drift_lines(run.drift),
        "## Retraining",
        "",
        "Triggered by: " + ("; ".join(run.reasons) or "nothing (no retraining)") + ".",
        "",
        *comparison_lines(run.comparison),
        "## Canary",
        "",
        *gate_lines(run.gate),
        "## Incidents",
        "",
        *([f"- {incident}" for incident in run.incidents] or ["None."]),
        "",
        "## Stages now",
        "",
        *stage_lines(record),
    ]
    return "\n".join(lines).rstrip() + "\n"
