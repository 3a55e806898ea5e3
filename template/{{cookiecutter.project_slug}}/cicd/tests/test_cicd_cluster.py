"""The deploy workflow's cluster steps (`nox -s deploy -- wait|forward`), against
a stand-in kubectl (fake_kubectl.py): no cluster runs here. The manifests are
rendered by the real kubectl; what the cluster answers is what the Kubernetes
API returns for a Deployment rolling out."""

import json
import sys
import urllib.request

import pytest
from fake_kubectl import FakeKubectl, deployment

from {{ cookiecutter.package_name }} import local_servers

from cicd import cluster, manifests

SLUG = "{{ cookiecutter.project_slug }}"
PRODUCTION = f"{SLUG}-production"
STAGING = f"{SLUG}-staging"
KEY = manifests.MODEL_VERSION_KEY


@pytest.fixture
def kubectl(k8s_copy, real_kubectl, tmp_path, monkeypatch) -> FakeKubectl:
    fake = FakeKubectl(tmp_path / "bin", real_kubectl)
    monkeypatch.setenv("KUBECTL", str(fake.path))
    monkeypatch.setattr(cluster, "POLL_SECONDS", 0.01)
    return fake


def rollout(model_version: str, **status) -> dict:
    return deployment(STAGING, "predictor", model_version, annotation=KEY, **status)


def test_wait_returns_once_every_replica_serves_the_recorded_model(kubectl):
    manifests.record("staging", "ghcr.io/team/app-serving:sha-1-run-7", "run-7-ab")
    kubectl.deployment_states(
        STAGING,
        "predictor",
        [
            rollout("unreleased"),  # Argo CD has not synced yet
            rollout("run-7-ab", generation=3, observed=2),  # not yet seen
            rollout("run-7-ab", generation=3, observed=3, updated=0),
            rollout("run-7-ab", generation=3, observed=3, running=2),  # old pod
            rollout("run-7-ab", generation=3, observed=3),
        ],
    )
    said = []
    cluster.wait("staging", timeout=30, log=said.append)
    gets = [call for call in kubectl.calls() if call[:2] == ["get", "deployment"]]
    assert len(gets) == 5  # it stopped at the first complete rollout
    request = ["get", "deployment", "predictor", "--namespace", STAGING]
    assert gets[0] == [*request, "--output", "json"]
    assert said[-1] == "staging: model run-7-ab is rolled out"


def test_wait_gives_up_naming_the_model_and_argo_cd(kubectl):
    manifests.record("staging", "ghcr.io/team/app-serving:sha-1-run-8", "run-8-cd")
    kubectl.deployment_states(STAGING, "predictor", [rollout("run-7-ab")])
    with pytest.raises(cluster.ClusterError) as raised:
        cluster.wait("staging", timeout=0.2, log=lambda line: None)
    assert "run-8-cd was not rolled out" in str(raised.value)
    assert "Argo CD" in str(raised.value)
    # A Deployment that does not exist yet is waited for the same way.
    kubectl.deployment_states(STAGING, "predictor", [])
    assert cluster.main(["wait", "staging", "--timeout", "0.2"]) == 1


def test_forward_runs_the_command_with_each_pod_on_its_port(kubectl, tmp_path):
    kubectl.page(PRODUCTION, "predictor-canary", "the canary's metrics\n")
    kubectl.page(PRODUCTION, "predictor", "production's metrics\n")
    canary, production = local_servers.free_port(), local_servers.free_port()
    seen = tmp_path / "seen.json"
    reader = (
        "import json, sys, urllib.request\n"
        "pages = [urllib.request.urlopen(f'http://127.0.0.1:{port}/metrics')"
        ".read().decode() for port in sys.argv[2:]]\n"
        "open(sys.argv[1], 'w').write(json.dumps(pages))\n"
        "sys.exit(3)\n"
    )
    pairs = ["forward", f"canary={canary}", f"production={production}"]
    command = [sys.executable, "-c", reader, str(seen), str(canary), str(production)]
    code = cluster.main([*pairs, "--", *command])
    assert code == 3  # the command's own exit code
    assert json.loads(seen.read_text()) == [
        "the canary's metrics\n",
        "production's metrics\n",
    ]
    forwards = [call for call in kubectl.calls() if call[0] == "port-forward"]
    assert [call[3] for call in forwards] == [
        "deployment/predictor-canary",
        "deployment/predictor",
    ]
    # Both forwards ended with the command.
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{canary}/metrics", timeout=2)


def test_a_forward_that_fails_stops_before_the_command(kubectl, tmp_path, capsys):
    marker = tmp_path / "ran"
    command = [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    port = local_servers.free_port()
    assert cluster.main(["forward", f"staging={port}", "--", *command]) == 1
    assert f"staging: port-forward to {port} failed" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.parametrize(
    "argv",
    [["forward", "canary"], ["forward", "nowhere=9000", "--", "true"], ["wait"]],
)
def test_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as raised:
        cluster.main(argv)
    assert raised.value.code == 2


def test_forward_without_a_command_exits_2(capsys):
    assert cluster.main(["forward", "canary=9000"]) == 2
    assert "needs a command after --" in capsys.readouterr().err
