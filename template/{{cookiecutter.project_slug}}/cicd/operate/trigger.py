"""When to retrain: on a schedule, and on a drift or a quality alert.

- schedule: the daily retrain the course's labs run (``--trigger schedule``,
  the default); with ``--trigger alerts`` only the alerts below count;
- drift alert: the drift check found drift in production's inputs or answers
  (artifacts/monitoring/drift.json);
- quality alert: production's online quality, scored from feedback, fails
  the offline quality bar: accuracy below the bar, or a mean absolute error
  above the bar times the baseline's, as training's gate (evaluation.json).
  Fewer than `MIN_LABELLED` labelled predictions are not enough to judge.

Here the loop reads the drift check's and the online evaluation's reports. On
the cluster, cicd/retrain_trigger.py decides from the schedule, Prometheus's
drift alerts (monitoring/prometheus/alerts.yml) and the online evaluation's
own quality alert over the stored logs instead (cicd/docs/operate.md).
"""

from typing import Any

from {{ cookiecutter.package_name }}.quality import MIN_LABELLED, clears_bar


def quality_alert(online: dict[str, Any], evaluation: dict[str, Any]) -> str | None:
    """Why production's online quality fails the bar, or None."""
    metric = online.get("metric")
    production = online.get("stages", {}).get("production", {})
    value, labelled = production.get(metric), production.get("labelled", 0)
    if value is None or labelled < MIN_LABELLED or "bar" not in evaluation:
        return None
    bar, baseline = evaluation["bar"], evaluation["baseline"][metric]
    if clears_bar(metric, value, baseline, bar):
        return None
    limit = bar if online.get("higher_is_better") else bar * baseline
    figures = f"{metric} {value:.3f} on {labelled} labelled"
    limits = f"limit {limit:.3f}, baseline {baseline:.3f}"
    return f"quality alert: online {figures}, {limits}"


def retrain_reasons(
    trigger: str,
    drift: dict[str, Any],
    online: dict[str, Any],
    evaluation: dict[str, Any],
) -> list[str]:
    """Every reason to retrain now; none means production stays untouched."""
    reasons = []
    if trigger == "schedule":
        reasons.append("schedule: the daily retrain")
    if drift.get("drifted"):
        reasons.append("drift alert: " + ", ".join(drift.get("drifted_checks", [])))
    alert = quality_alert(online, evaluation)
    if alert:
        reasons.append(alert)
    return reasons
