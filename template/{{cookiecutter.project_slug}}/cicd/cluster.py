"""What the deploy workflow asks of the cluster, through kubectl (KUBECONFIG):

  python -m cicd.cluster wait ENV [--timeout SECONDS]
  python -m cicd.cluster forward ENV=PORT [ENV=PORT ...] -- COMMAND ...

- ``wait`` returns once Argo CD has applied ENV's release record and the
  rollout has finished: the live Deployment carries the model version that
  cicd/k8s/overlays/ENV/release.yaml records, and every replica is updated and
  available. Argo CD looks at the repository every three minutes by default,
  hence the generous timeout.
- ``forward`` runs COMMAND while each ENV's predictor answers on
  localhost:PORT (`kubectl port-forward` to one of its pods). The canary gate
  compares the canary's pod with one of production's this way: behind one
  Service, each pod takes the same share of the traffic.

Exit codes: 0 done (``forward``: COMMAND's own code); 1 timed out, a forward
did not come up, or no kubectl; 2 bad arguments, or a record that does not
render.
"""

import argparse
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from . import debian_tools, manifests

SERVICE_PORT = 3000  # the predictor container's port (cicd/k8s/base/deployment)
POLL_SECONDS = 5
FORWARD_TIMEOUT_SECONDS = 30


class ClusterError(RuntimeError):
    """kubectl is missing, or the cluster did not do what was asked in time."""


@dataclass(frozen=True)
class Target:
    """One environment's Deployment, as its overlay renders it."""

    namespace: str
    name: str
    model_version: str


def target(environment: str) -> Target:
    (deployment,) = [
        document
        for document in manifests.objects(manifests.render(environment))
        if document["kind"] == "Deployment"
        and document["metadata"]["name"].startswith("predictor")
    ]
    metadata = deployment["metadata"]
    return Target(
        metadata["namespace"],
        metadata["name"],
        metadata["annotations"][manifests.MODEL_VERSION_KEY],
    )


def kubectl() -> str:
    found = debian_tools.find_or_fetch("kubectl", log=lambda line: None)
    if found is None:
        raise ClusterError("kubectl is not installed and could not be fetched")
    return found


def live(wanted: Target) -> dict[str, Any] | None:
    """The live Deployment, or None while it does not exist yet."""
    request = ["get", "deployment", wanted.name, "--namespace", wanted.namespace]
    done = subprocess.run(
        [kubectl(), *request, "--output", "json"], capture_output=True, text=True
    )
    return json.loads(done.stdout) if done.returncode == 0 else None


def rolled_out(deployment: dict[str, Any] | None, wanted: Target) -> bool:
    """True once the Deployment serves the recorded model on every replica (what
    `kubectl rollout status` waits for, plus the model version)."""
    if deployment is None:
        return False
    metadata, spec = deployment["metadata"], deployment["spec"]
    status = deployment.get("status", {})
    replicas = spec.get("replicas", 1)
    version = metadata.get("annotations", {}).get(manifests.MODEL_VERSION_KEY)
    return (
        version == wanted.model_version
        and status.get("observedGeneration", 0) >= metadata.get("generation", 1)
        and status.get("updatedReplicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
        # No pod of the previous version left.
        and status.get("replicas", 0) == replicas
    )


def wait(environment: str, timeout: float, log=print) -> None:
    wanted = target(environment)
    log(f"{environment}: waiting for model {wanted.model_version} on every replica")
    deadline = time.monotonic() + timeout
    while not rolled_out(live(wanted), wanted):
        if time.monotonic() > deadline:
            raise ClusterError(
                f"{environment}: model {wanted.model_version} was not rolled out "
                f"within {timeout:.0f} s (is Argo CD's Application synced?)"
            )
        time.sleep(POLL_SECONDS)
    log(f"{environment}: model {wanted.model_version} is rolled out")


def answering(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def forwarded(environment: str, port: int) -> Iterator[None]:
    """ENV's predictor on localhost:PORT while the block runs."""
    wanted = target(environment)
    command = [
        kubectl(),
        "port-forward",
        "--namespace",
        wanted.namespace,
        f"deployment/{wanted.name}",
        f"{port}:{SERVICE_PORT}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + FORWARD_TIMEOUT_SECONDS
        while not answering(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ClusterError(f"{environment}: port-forward to {port} failed")
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def forward_pair(text: str) -> tuple[str, int]:
    environment, _, port = text.partition("=")
    if environment not in manifests.ENVIRONMENTS or not port.isdigit():
        names = ", ".join(manifests.ENVIRONMENTS)
        message = f"{text!r}: expected ENV=PORT, ENV one of {names}"
        raise argparse.ArgumentTypeError(message)
    return environment, int(port)


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="python -m cicd.cluster", description=__doc__.splitlines()[0]
    )
    commands = parse.add_subparsers(dest="command", required=True)
    waiting = commands.add_parser("wait")
    waiting.add_argument("environment", choices=manifests.ENVIRONMENTS)
    waiting.add_argument("--timeout", type=float, default=900.0)
    forwarding = commands.add_parser("forward")
    forwarding.add_argument("pairs", nargs="+", type=forward_pair, metavar="ENV=PORT")
    return parse


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser().parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    if args.command == "forward" and not command:
        print("error: forward needs a command after --", file=sys.stderr)
        return 2
    try:
        if args.command == "wait":
            wait(args.environment, args.timeout)
            return 0
        with ExitStack() as forwards:
            for environment, port in args.pairs:
                forwards.enter_context(forwarded(environment, port))
            return subprocess.run(command).returncode
    except manifests.RenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
