"""The Prometheus, alerting and Grafana files: valid, complete, and in agreement.

Every metric an alert or a panel reads must be one BentoML exports or one the
service registers under the names in the shared telemetry module; a renamed
metric otherwise leaves a dashboard blank and an alert silent without an error.
The model's metrics depend on what the service answers (the contract): a class
and its probability, or a number.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import paths, telemetry

ROOM = Path(__file__).resolve().parent.parent
PROMETHEUS = ROOM / "prometheus"
GRAFANA = ROOM / "grafana"

# What BentoML 1.4 exports by itself (namespace "bentoml_service"), plus the
# "up" series Prometheus records for every scrape.
BENTOML_COUNTERS_AND_GAUGES = {
    "up",
    "bentoml_service_request_total",
    "bentoml_service_request_in_progress",
    "bentoml_service_last_request_timestamp_seconds",
}
BENTOML_HISTOGRAMS = {"bentoml_service_request_duration_seconds"}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")

SERVICE_ALERTS = {"ServiceDown", "HighErrorRate", "HighLatencyP95"}
CLASSIFIER_ALERTS = {"LowPredictionConfidence", "PredictionClassSkew"}
REGRESSION_ALERTS = {"PredictedValueOutOfRange"}

PROMQL_KEYWORDS = {"and", "or", "unless", "bool", "offset", "group_left", "group_right"}


def answers_a_class() -> bool:
    """Whether the service answers a class and its probability (else a number)."""
    schema = json.loads((paths.contracts_dir() / "output.schema.json").read_text())
    return "probability" in schema["properties"]


def model_series() -> set[str]:
    """The series the service's model metrics export (telemetry.py)."""
    if answers_a_class():
        histogram = telemetry.PREDICTION_CONFIDENCE
        counters = {telemetry.PREDICTIONS_EXPORTED}
    else:
        histogram, counters = telemetry.PREDICTED_VALUE, set()
    return counters | {histogram + suffix for suffix in HISTOGRAM_SUFFIXES}


def series_names() -> set[str]:
    """Every series name a query may use."""
    names = set(BENTOML_COUNTERS_AND_GAUGES) | model_series()
    for histogram in BENTOML_HISTOGRAMS:
        names |= {histogram + suffix for suffix in HISTOGRAM_SUFFIXES}
    return names


def model_histogram_buckets() -> str:
    """The bucket series of the model's histogram (confidence or values)."""
    if answers_a_class():
        return telemetry.PREDICTION_CONFIDENCE + "_bucket"
    return telemetry.PREDICTED_VALUE + "_bucket"


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads."""
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    # Label lists after by/without/on/ignoring/group_left name labels, not series.
    expr = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr
    )
    names = re.findall(r"(?<![\w.$])([A-Za-z_:][\w:]*)\b(?!\s*\()", expr)
    return {name for name in names if name not in PROMQL_KEYWORDS}


def test_metric_name_extraction_reads_series_not_functions_or_labels():
    expr = (
        'histogram_quantile(0.95, sum by (le) (rate(a_bucket{endpoint="/p"}[5m])))'
        " / ignoring(x) group_left sum(increase(b_total[$__range])) > 0.5"
        " and on() c >= 1e3"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c"}


def load_yaml(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert "{" + "%" not in text, f"{path.name} still holds template markup"
    return yaml.safe_load(text)


def load_yaml_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@pytest.fixture(scope="module")
def prometheus_config() -> dict:
    return load_yaml(PROMETHEUS / "prometheus.yml")


@pytest.fixture(scope="module")
def alert_rules() -> list[dict]:
    document = load_yaml(PROMETHEUS / "alerts.yml")
    return [rule for group in document["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def dashboard() -> dict:
    text = (GRAFANA / "dashboard.json").read_text(encoding="utf-8")
    assert "{" + "%" not in text
    return json.loads(text)


def scrape_job(config: dict) -> dict:
    (job,) = config["scrape_configs"]
    return job


def test_prometheus_scrapes_the_service_and_loads_the_rules(prometheus_config):
    assert prometheus_config["rule_files"] == ["alerts.yml"]
    assert (PROMETHEUS / "alerts.yml").is_file()
    job = scrape_job(prometheus_config)
    assert job["metrics_path"] == "/metrics"
    targets = [t for group in job["static_configs"] for t in group["targets"]]
    assert targets == ["serving:3000"]


def test_every_alert_is_complete(alert_rules):
    model_alerts = CLASSIFIER_ALERTS if answers_a_class() else REGRESSION_ALERTS
    assert {rule["alert"] for rule in alert_rules} == SERVICE_ALERTS | model_alerts
    for rule in alert_rules:
        assert rule["expr"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]


def test_alert_annotations_keep_their_prometheus_templates(alert_rules):
    summaries = {rule["alert"]: rule["annotations"]["summary"] for rule in alert_rules}
    assert "$labels.instance" in summaries["ServiceDown"]
    assert "{" * 2 + " $value" in summaries["HighErrorRate"]
    if answers_a_class():
        assert "$labels." + telemetry.CLASS_LABEL in summaries["PredictionClassSkew"]
    else:
        assert "{" * 2 + " $value" in summaries["PredictedValueOutOfRange"]


def test_alerts_select_the_scraped_job(alert_rules, prometheus_config):
    job = scrape_job(prometheus_config)["job_name"]
    down = next(rule for rule in alert_rules if rule["alert"] == "ServiceDown")
    assert "up{job=" + f'"{job}"' + "}" in down["expr"].replace(" ", "")


def test_on_kubernetes_the_same_job_finds_each_track_by_dns(prometheus_config):
    on_cluster = load_yaml(PROMETHEUS / "prometheus-k8s.yml")
    assert on_cluster["rule_files"] == prometheus_config["rule_files"]
    assert on_cluster["global"] == prometheus_config["global"]
    job = scrape_job(on_cluster)
    assert job["job_name"] == scrape_job(prometheus_config)["job_name"]
    (dns,) = job["dns_sd_configs"]
    services = load_yaml_all(PROMETHEUS.parent / "k8s" / "prometheus.yaml")
    headless = {
        doc["metadata"]["name"]: doc["spec"]["selector"]["track"]
        for doc in services
        if doc["kind"] == "Service" and doc["spec"].get("clusterIP") == "None"
    }
    assert set(dns["names"]) == set(headless)
    (track,) = [r for r in job["relabel_configs"] if r.get("target_label") == "track"]
    for name, selected in headless.items():
        assert re.fullmatch(track["regex"], name).group(1) == selected


def test_alerts_use_only_exported_metrics(alert_rules):
    used = set()
    for rule in alert_rules:
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= series_names(), (rule["alert"], names - series_names())
        used |= names
    assert model_histogram_buckets() in used
    assert "bentoml_service_request_duration_seconds_bucket" in used


def test_model_alerts_read_the_models_own_output(alert_rules):
    exprs = {rule["alert"]: rule["expr"] for rule in alert_rules}
    if answers_a_class():
        assert f"by ({telemetry.CLASS_LABEL})" in exprs["PredictionClassSkew"]
        assert telemetry.PREDICTIONS_EXPORTED in exprs["PredictionClassSkew"]
    else:
        # The share outside the training range: the extreme finite buckets,
        # never the +Inf one (which holds every prediction).
        expr = exprs["PredictedValueOutOfRange"]
        assert expr.count(telemetry.PREDICTED_VALUE + '_bucket{le!="+Inf"}') == 2
        assert "max(" in expr and "min(" in expr


def test_every_alert_has_a_promtool_unit_test(alert_rules):
    tests = load_yaml(PROMETHEUS / "alerts.test.yml")
    assert tests["rule_files"] == ["alerts.yml"]
    tested = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert tested == {rule["alert"] for rule in alert_rules}


def dashboard_targets(dashboard: dict) -> list[tuple[str, dict]]:
    return [
        (panel["title"], target)
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def test_dashboard_has_the_expected_panels(dashboard):
    by_title = {panel["title"]: panel for panel in dashboard["panels"]}
    if answers_a_class():
        model = ("Prediction confidence quantiles", "Predictions per class")
        heatmap = "Prediction confidence distribution"
    else:
        model = ("Predicted value quantiles", "Outside the training range (range)")
        heatmap = "Predicted value distribution"
    for title in ("Request rate", "/predict latency", "Error rate", *model, heatmap):
        assert title in by_title, title
        assert by_title[title]["targets"], title
    latency = [t["expr"] for t in by_title["/predict latency"]["targets"]]
    assert any("histogram_quantile(0.5," in expr for expr in latency)
    assert any("histogram_quantile(0.95," in expr for expr in latency)
    assert by_title[heatmap]["type"] == "heatmap"
    (target,) = by_title[heatmap]["targets"]
    assert model_histogram_buckets() in target["expr"]


def test_dashboard_panels_are_distinct_and_do_not_overlap(dashboard):
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells = set()
    for panel in dashboard["panels"]:
        box = panel["gridPos"]
        assert box["x"] + box["w"] <= 24, panel["title"]
        for x in range(box["x"], box["x"] + box["w"]):
            for y in range(box["y"], box["y"] + box["h"]):
                assert (x, y) not in cells, panel["title"]
                cells.add((x, y))


def test_dashboard_uses_only_exported_metrics(dashboard):
    used = set()
    for title, target in dashboard_targets(dashboard):
        names = metric_names(target["expr"])
        assert names <= series_names(), (title, names - series_names())
        used |= names
    assert model_histogram_buckets() in used
    counted = (
        telemetry.PREDICTIONS_EXPORTED
        if answers_a_class()
        else telemetry.PREDICTED_VALUE + "_count"
    )
    assert counted in used
    assert "bentoml_service_request_total" in used


def test_dashboard_selects_the_scraped_job(dashboard, prometheus_config):
    job = scrape_job(prometheus_config)["job_name"]
    jobs = {
        match
        for _, target in dashboard_targets(dashboard)
        for match in re.findall(r'job="([^"]*)"', target["expr"])
    }
    assert jobs == {job}


def test_class_panel_shows_one_series_per_class(dashboard):
    titles = {panel["title"] for panel in dashboard["panels"]}
    if not answers_a_class():
        assert not any("class" in title for title in titles), titles
        return
    panel = next(
        p for p in dashboard["panels"] if p["title"] == "Predictions per class"
    )
    (target,) = panel["targets"]
    assert f"by ({telemetry.CLASS_LABEL})" in target["expr"]
    assert target["legendFormat"] == "{" * 2 + telemetry.CLASS_LABEL + "}" * 2


def test_grafana_provisioning_matches_the_dashboard(dashboard):
    provisioning = GRAFANA / "provisioning"
    (datasource,) = load_yaml(provisioning / "datasources" / "prometheus.yml")[
        "datasources"
    ]
    assert datasource["type"] == "prometheus"
    uids = {target["datasource"]["uid"] for _, target in dashboard_targets(dashboard)}
    uids |= {panel["datasource"]["uid"] for panel in dashboard["panels"]}
    assert uids == {datasource["uid"]}

    (provider,) = load_yaml(provisioning / "dashboards" / "dashboards.yml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/")
