"""The Kubernetes manifests, rendered with kubectl's kustomize and validated offline.

No cluster runs here: what a cluster would refuse is checked against the
Kubernetes API schemas of the version k3s installs (kubernetes-validate), and
what Argo CD would apply is the rendering itself. kubectl comes from Debian's
kubernetes-client package when none is installed (cicd/debian_tools.py); the
tests are skipped, saying so, only where it cannot be had.
"""

import shutil

import pytest
import yaml

from cicd import manifests

pytestmark = pytest.mark.usefixtures("real_kubectl")
# The host application's objects, when the questionnaire named one
# (test_cicd_host_app.py checks them).
HOST_APP = {"Deployment/host-app", "Service/host-app"}


def container_of(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(deployment: dict) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container_of(deployment)["env"]}


def shipper_of(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["initContainers"]
    return only


def test_every_environment_and_application_is_valid_for_the_k3s_api():
    assert manifests.validate() == []


def test_each_environment_says_its_stage_and_the_canary_shares_production():
    staging, canary = manifests.by_name("staging"), manifests.by_name("canary")
    production = manifests.by_name("production")
    assert set(canary) == {"Deployment/predictor-canary"}  # no Service of its own
    assert set(staging) - HOST_APP == {"Deployment/predictor", "Service/predictor"}
    assert set(staging) < set(production)  # and monitoring, below
    for name, objects in (("staging", staging), ("production", production)):
        assert env_of(objects["Deployment/predictor"])["DEPLOY_STAGE"] == name
    stable = production["Deployment/predictor"]
    trial = canary["Deployment/predictor-canary"]
    assert env_of(trial)["DEPLOY_STAGE"] == "canary"
    assert trial["metadata"]["namespace"] == stable["metadata"]["namespace"]
    # production's Service selects both tracks; each Deployment only its own.
    selector = production["Service/predictor"]["spec"]["selector"]
    for deployment in (stable, trial):
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items()
    tracks = {d["spec"]["selector"]["matchLabels"]["track"] for d in (stable, trial)}
    assert tracks == {"stable", "canary"}
    # The canary's share of traffic is its share of the pods: a quarter.
    replicas = stable["spec"]["replicas"], trial["spec"]["replicas"]
    assert replicas[1] / sum(replicas) == 0.25


def test_a_record_changes_one_environment_and_a_revert_restores_it(tmp_path):
    release = manifests.overlay("canary") / "release.yaml"
    kept = tmp_path / "release.yaml"
    shutil.copyfile(release, kept)
    before = {env: manifests.render(env) for env in manifests.ENVIRONMENTS}
    reference = "ghcr.io/team/app-serving:sha-0123456789ab"  # a GHCR image
    try:
        manifests.record("canary", reference, "7")
        trial = manifests.by_name("canary")["Deployment/predictor-canary"]
        assert container_of(trial)["image"] == reference  # the container image
        assert shipper_of(trial)["image"] == reference  # the same container image
        annotations = trial["spec"]["template"]["metadata"]["annotations"]
        assert annotations[manifests.MODEL_VERSION_KEY] == "7"
        assert manifests.validate() == []
        for env in ("staging", "production"):
            assert manifests.render(env) == before[env]
    finally:
        shutil.copyfile(kept, release)  # the revert
    assert manifests.render("canary") == before["canary"]


def test_an_object_the_api_would_refuse_is_named_with_its_field():
    (deployment,) = manifests.objects(manifests.render("canary"))
    assert manifests.object_problems(deployment) == []
    deployment["spec"]["replicas"] = "three"
    (problem,) = manifests.object_problems(deployment)
    assert problem.startswith("Deployment/predictor-canary: spec.replicas: ")
    deployment["spec"]["replicas"] = 2
    deployment["spec"]["strategy"] = {"kind": "sideways"}  # not a field: strict
    (problem,) = manifests.object_problems(deployment)
    assert problem.startswith("Deployment/predictor-canary: spec.strategy")


def test_argo_cd_applications_point_at_their_overlays(tmp_path, monkeypatch):
    assert manifests.application_problems() == []
    for env in manifests.ENVIRONMENTS:
        path = manifests.ROOT / "argocd" / f"{env}.yaml"
        application = yaml.safe_load(path.read_text())
        assert application["spec"]["source"]["path"] == f"cicd/k8s/overlays/{env}"
        namespace = manifests.objects(manifests.render(env))[0]["metadata"]["namespace"]
        assert application["spec"]["destination"]["namespace"] == namespace
    # A misspelt field is refused, not ignored.
    broken = tmp_path / "cicd" / "k8s"  # the overlays where Argo CD looks
    shutil.copytree(manifests.ROOT, broken)
    staging = broken / "argocd" / "staging.yaml"
    staging.write_text(staging.read_text().replace("selfHeal", "selfheal"))
    monkeypatch.setattr(manifests, "ROOT", broken)
    (problem,) = manifests.application_problems()
    assert "staging.yaml: spec.syncPolicy.automated" in problem


def test_production_monitors_with_the_monitoring_rooms_own_files():
    production = manifests.by_name("production")
    monitoring = manifests.ROOT.parent.parent / "monitoring"
    # ConfigMaps by the name they were given; kustomize adds a hash of the content.
    maps = {k.split("/")[1]: o for k, o in production.items() if k.startswith("Conf")}
    by_given_name = {name.rsplit("-", 1)[0]: o for name, o in maps.items()}
    config = by_given_name["prometheus-config"]
    rules = (monitoring / "prometheus" / "alerts.yml").read_text()
    assert config["data"]["alerts.yml"] == rules
    on_cluster = (monitoring / "prometheus" / "prometheus-k8s.yml").read_text()
    assert config["data"]["prometheus.yml"] == on_cluster
    boards = by_given_name["grafana-dashboards"]
    dashboard = (monitoring / "grafana" / "dashboard.json").read_text()
    assert dashboard in boards["data"].values()
    # Each Deployment mounts the ConfigMaps by the names kustomize gave them,
    # and keeps its data on a claim of its own, one pod at a time.
    names = set(maps)
    for deployment in ("Deployment/prometheus", "Deployment/grafana"):
        spec = production[deployment]["spec"]
        volumes = spec["template"]["spec"]["volumes"]
        mapped = {v["configMap"]["name"] for v in volumes if "configMap" in v}
        assert mapped and mapped <= names
        (claim,) = [
            v["persistentVolumeClaim"] for v in volumes if "persistentVolumeClaim" in v
        ]
        assert f"PersistentVolumeClaim/{claim['claimName']}" in production
        assert spec["strategy"] == {"type": "Recreate"}


def test_copy_promotes_a_record_and_show_prints_it(k8s_copy, capsys):
    reference = "ghcr.io/team/app-serving:sha-0123456789ab-run-7"
    manifests.record("canary", reference, "run-7-0a1b2c")
    assert manifests.main(["copy", "canary", "production"]) == 0
    assert manifests.recorded("production") == (reference, "run-7-0a1b2c")
    stable = manifests.by_name("production")["Deployment/predictor"]
    assert container_of(stable)["image"] == reference  # the container image
    capsys.readouterr()
    assert manifests.main(["show", "production"]) == 0
    shown = capsys.readouterr().out.splitlines()
    record = [f"image={reference}", "model_version=run-7-0a1b2c"]  # container image
    assert shown == record
    # A rollback is the same copy the other way round.
    assert manifests.main(["copy", "staging", "canary"]) == 0
    assert manifests.recorded("canary") == manifests.recorded("staging")


def test_production_retrains_daily_and_on_an_alert_with_argo_workflows():
    production = manifests.by_name("production")
    namespace = production["Deployment/predictor"]["metadata"]["namespace"]
    crons = {
        k: o
        for k, o in production.items()
        if k.startswith("CronWorkflow/")
        and o["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] != "label-sync"
    }
    triggers = {
        name: cron["spec"]["workflowSpec"]["arguments"]["parameters"][0]["value"]
        for name, cron in crons.items()
    }
    assert triggers == {
        "CronWorkflow/daily-retrain": "schedule",
        "CronWorkflow/retrain-on-alert": "alerts",
    }
    template = production["WorkflowTemplate/retrain-trigger"]
    (step,) = template["spec"]["templates"]
    # The online evaluation's quality alert, then the trigger that reads it.
    assert manifests.modules_run(step["container"]) == [
        "monitoring.online_eval",
        "cicd.retrain_trigger",
    ]
    # It asks the Prometheus of the same namespace, which production deploys.
    assert "http://prometheus:9090" in step["container"]["args"]
    assert "Service/prometheus" in production
    for name in (*crons, "WorkflowTemplate/retrain-trigger"):
        assert production[name]["metadata"]["namespace"] == namespace
    assert manifests.workflow_problems(list(production.values())) == []
    # Only production runs them: staging is no second trigger.
    assert not any(k.startswith("CronWorkflow/") for k in manifests.by_name("staging"))


def test_production_runs_label_studio_and_syncs_it_daily():
    production = manifests.by_name("production")
    studio = manifests.ROOT.parent.parent / "data" / "label_studio_server"
    # The pod installs the version the data room's tests run against.
    maps = {k.split("/")[1]: o for k, o in production.items() if k.startswith("Conf")}
    by_given_name = {name.rsplit("-", 1)[0]: o for name, o in maps.items()}
    pinned = (studio / "requirements.txt").read_text()
    assert by_given_name["label-studio-files"]["data"] == {"requirements.txt": pinned}
    deployment = production["Deployment/label-studio"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "-r /label-studio/requirements.txt" in container["args"][0]
    mounted = {v["name"]: v for v in pod["volumes"]}
    assert mounted["files"]["configMap"]["name"] in maps  # by its hashed name
    claim = mounted["data"]["persistentVolumeClaim"]["claimName"]
    assert f"PersistentVolumeClaim/{claim}" in production
    assert container["envFrom"] == [{"secretRef": {"name": "label-studio"}}]
    service = production["Service/label-studio"]["spec"]
    assert service["type"] == "LoadBalancer" and service["ports"][0]["port"] == 8080
    # label-sync: sample the stored logs, import, export and send the labels,
    # against this Label Studio and production's own service.
    cron = production["CronWorkflow/label-sync"]
    assert cron["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] == "label-sync"
    (step,) = production["WorkflowTemplate/label-sync"]["spec"]["templates"]
    script = step["container"]["command"][2]
    assert manifests.modules_run(step["container"]) == ["data.labelling"] * 3
    for command in ("sample --stored production", "push", "pull --stored production"):
        assert f"python -m data.labelling {command}" in script
    assert "--url http://predictor " in script and "Service/predictor" in production
    env = {e["name"]: e for e in step["container"]["env"]}
    assert env["LABEL_STUDIO_URL"]["value"] == "http://label-studio:8080"
    token = env["LABEL_STUDIO_API_KEY"]["valueFrom"]["secretKeyRef"]
    assert token == {"name": "label-studio", "key": "LABEL_STUDIO_USER_TOKEN"}
    assert "Deployment/label-studio" not in manifests.by_name("staging")


def test_broken_workflows_are_refused_before_a_cluster_sees_them():
    production = manifests.by_name("production")
    cron = production["CronWorkflow/daily-retrain"]
    assert manifests.object_problems(cron) == []
    cron["spec"]["schedule"] = cron["spec"].pop("schedules")  # v3.6's old field
    assert any(
        p.startswith("CronWorkflow/daily-retrain: spec:") and "schedule" in p
        for p in manifests.object_problems(cron)
    )
    cron["spec"]["schedules"] = ["every night"]
    del cron["spec"]["schedule"]
    (problem,) = manifests.object_problems(cron)
    assert problem.startswith("CronWorkflow/daily-retrain: spec.schedules.0:")
    # References only a cluster would find broken: the template, the module.
    cron["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] = "retrian-trigger"
    template = production["WorkflowTemplate/retrain-trigger"]
    command = template["spec"]["templates"][0]["container"]["command"]
    script = command[2]
    # A package with a __main__ runs too.
    command[2] = script.replace("-m cicd.retrain_trigger", "-m cicd.operate")
    assert manifests.workflow_problems([template]) == []
    command[2] = script.replace("-m cicd.retrain_trigger", "-m cicd.retrain")
    missing = manifests.ROOT.parent / "retrain"
    assert manifests.workflow_problems([cron, template]) == [
        "CronWorkflow/daily-retrain: no WorkflowTemplate retrian-trigger",
        "WorkflowTemplate/retrain-trigger: cicd.retrain: no file "
        f"{missing}.py or {missing / '__main__.py'}",
    ]


@pytest.mark.parametrize(
    ("environment", "name"),
    [
        ("staging", "Deployment/predictor"),
        ("canary", "Deployment/predictor-canary"),
        ("production", "Deployment/predictor"),
    ],
)
def test_every_pod_ships_the_logs_it_writes_to_the_object_store(environment, name):
    deployment = manifests.by_name(environment)[name]
    service, shipper = container_of(deployment), shipper_of(deployment)
    # A native sidecar: started before the service, stopped after it.
    assert shipper["restartPolicy"] == "Always"
    assert shipper["command"][:3] == ["python", "-m", "serving.log_shipping"]
    assert shipper["image"] == service["image"]  # the release's container image
    shipped = {e["name"]: e["value"] for e in shipper["env"]}
    written = env_of(deployment)
    assert shipped["DEPLOY_STAGE"] == written["DEPLOY_STAGE"] == environment
    logs = ("PREDICTION_LOG", "FEEDBACK_LOG", "INPUT_LOG")
    assert {k: shipped[k] for k in logs} == {k: written[k] for k in logs}
    # The logs' folder is one volume both containers mount at the same place.
    (mount,) = service["volumeMounts"]
    assert shipper["volumeMounts"] == [mount]
    assert all(written[k].startswith(mount["mountPath"] + "/") for k in logs)
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes[mount["name"]]
    assert shipper["envFrom"] == [{"secretRef": {"name": "object-store"}}]
