"""A stand-in for kubectl: no cluster runs here. It answers the requests
cicd/cluster.py makes the way kubectl does, and hands `kustomize` to the real
kubectl (the manifests render for real):

- `get deployment NAME --namespace NS --output json` prints the Deployment as the
  API returns it, from a script of successive states (the last one repeats); a
  Deployment the script does not have is NotFound (exit 1).
- `port-forward --namespace NS deployment/NAME LOCAL:REMOTE` listens on
  127.0.0.1:LOCAL and answers every GET with the page given for that Deployment
  until it is terminated; without a page, NotFound.

Every call's arguments are appended to calls.jsonl beside the script.
"""

import json
import sys
from pathlib import Path
from typing import Any

SCRIPT = r"""
import http.server
import json
import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
state_path = here / "state.json"
state = json.loads(state_path.read_text())
args = sys.argv[1:]
with open(here / "calls.jsonl", "a") as calls:
    calls.write(json.dumps(args) + "\n")


def option(name):
    return args[args.index(name) + 1]


def not_found(name):
    print(f'Error from server (NotFound): deployments.apps "{name}" not found',
          file=sys.stderr)
    sys.exit(1)


if args[:1] == ["kustomize"]:
    sys.exit(subprocess.run([state["real"], *args]).returncode)
if args[:2] == ["get", "deployment"]:
    states = state["deployments"].get(option("--namespace") + "/" + args[2])
    if not states:
        not_found(args[2])
    print(json.dumps(states[0]))
    if len(states) > 1:
        states.pop(0)
        state_path.write_text(json.dumps(state))
    sys.exit(0)
if args[:1] == ["port-forward"]:
    name = args[3].split("/", 1)[1]
    page = state["pages"].get(option("--namespace") + "/" + name)
    if page is None:
        not_found(name)
    local, remote = args[4].split(":")
    body = page.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", int(local)), Page)
    print(f"Forwarding from 127.0.0.1:{local} -> {remote}", flush=True)
    server.serve_forever()
print("fake kubectl: not a request it knows: " + " ".join(args), file=sys.stderr)
sys.exit(2)
"""


class FakeKubectl:
    def __init__(self, folder: Path, real: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "kubectl"
        self.path.write_text(f"#!{sys.executable}\n{SCRIPT}")
        self.path.chmod(0o755)
        self.state_path = folder / "state.json"
        self.state: dict[str, Any] = {"real": real, "deployments": {}, "pages": {}}
        self.save()

    def save(self) -> None:
        self.state_path.write_text(json.dumps(self.state))

    def deployment_states(self, namespace: str, name: str, states: list) -> None:
        self.state["deployments"][f"{namespace}/{name}"] = states
        self.save()

    def page(self, namespace: str, name: str, text: str) -> None:
        self.state["pages"][f"{namespace}/{name}"] = text
        self.save()

    def calls(self) -> list[list[str]]:
        log = self.path.parent / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]


def deployment(
    namespace: str,
    name: str,
    model_version: str,
    *,
    replicas: int = 1,
    updated: int | None = None,
    available: int | None = None,
    running: int | None = None,
    generation: int = 2,
    observed: int = 2,
    annotation: str,
) -> dict[str, Any]:
    """A Deployment as `kubectl get --output json` prints it (the fields read)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "generation": generation,
            "annotations": {annotation: model_version},
        },
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "replicas": replicas if running is None else running,
            "updatedReplicas": replicas if updated is None else updated,
            "availableReplicas": replicas if available is None else available,
        },
    }
