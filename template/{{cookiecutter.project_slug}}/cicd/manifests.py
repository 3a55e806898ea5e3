"""The Kubernetes manifests of the three environments (cicd/k8s/, kustomize):
``nox -s deploy -- render ENV | validate | record ENV --image IMAGE
--model-version VERSION | copy FROM TO | show ENV``.

- ``render`` prints what Argo CD applies for ENV (staging, canary or
  production): `kubectl kustomize` of its overlay, kubectl from Debian's
  kubernetes-client package when none is installed (cicd/debian_tools.py).
- ``validate`` renders every environment and checks each object, offline,
  against the Kubernetes API of the version k3s installs (`KUBERNETES_VERSION`,
  the kubernetes-validate package, strict: unknown fields fail); custom
  resources (Argo CD's Applications, Argo Workflows' templates and cron
  workflows) against the schemas kept in cicd/k8s/schemas/. A cron workflow
  must name a template of the same rendering, and a step's `python -m MODULE`
  a module of this repository.
- ``record`` rewrites ENV's release.yaml, the record of the container image
  and the model version it serves: the deploy workflow commits it, Argo CD applies it,
  and a rollback is a revert of that commit.
- ``copy`` records FROM's release as TO's: the canary promoted to production,
  or production's release put back on the canary (its rollback).
- ``show`` prints ENV's record as two lines of GITHUB_OUTPUT's form, its
  container image (``image=...``) and ``model_version=...``.

Exit codes: 0 done; 1 a manifest is invalid; 2 could not render.
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from . import debian_tools

ROOT = Path(__file__).resolve().parent / "k8s"
ENVIRONMENTS = ("staging", "canary", "production")
# The Kubernetes minor version the k3s channel installs (cicd/infra/ansible/site.yml).
KUBERNETES_VERSION = "1.34.0"
MODEL_VERSION_KEY = "{{ cookiecutter.project_slug }}/model-version"
# Custom resources, checked against schemas kept in k8s/schemas/ (written here
# from their projects' documented fields) instead of the Kubernetes API's.
CUSTOM_SCHEMAS = {
    ("argoproj.io/v1alpha1", "Application"): "argocd-application.json",
    ("argoproj.io/v1alpha1", "WorkflowTemplate"): "argo-workflows.json",
    ("argoproj.io/v1alpha1", "CronWorkflow"): "argo-workflows.json",
}


class RenderError(RuntimeError):
    """kubectl is missing or refused the overlay; the message says which."""


def overlay(environment: str) -> Path:
    return ROOT / "overlays" / environment


def render(environment: str) -> str:
    kubectl = debian_tools.find_or_fetch("kubectl", log=lambda line: None)
    if kubectl is None:
        raise RenderError("kubectl is not installed and could not be fetched")
    done = subprocess.run(
        [kubectl, "kustomize", str(overlay(environment))],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RenderError(f"{environment}: {done.stderr.strip()}")
    return done.stdout


def objects(text: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(text) if document]


def by_name(environment: str) -> dict[str, dict[str, Any]]:
    """The environment's objects as Argo CD would apply them, by "Kind/name"."""
    return {
        f"{document['kind']}/{document['metadata']['name']}": document
        for document in objects(render(environment))
    }


def schema_problems(document: dict[str, Any], schema_file: str) -> list[str]:
    schema = json.loads((ROOT / "schemas" / schema_file).read_text())
    return [
        f"{'.'.join(str(part) for part in error.path) or '(top)'}: {error.message}"
        for error in jsonschema.Draft202012Validator(schema).iter_errors(document)
    ]


def object_problems(document: dict[str, Any]) -> list[str]:
    """What the Kubernetes API of `KUBERNETES_VERSION`, or the vendored schema
    of a custom resource, would refuse in one object."""
    name = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
    custom = CUSTOM_SCHEMAS.get((document.get("apiVersion"), document.get("kind")))
    if custom:
        return [f"{name}: {problem}" for problem in schema_problems(document, custom)]
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path) or "(top)"
        return [f"{name}: {where}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name}: no schema for {document.get('apiVersion')}"]
    return []


def application_problems() -> list[str]:
    schema = CUSTOM_SCHEMAS[("argoproj.io/v1alpha1", "Application")]
    problems = []
    for path in sorted((ROOT / "argocd").glob("*.yaml")):
        application = yaml.safe_load(path.read_text())
        problems += [f"{path.name}: {p}" for p in schema_problems(application, schema)]
        source = ROOT.parent.parent / application["spec"]["source"]["path"]
        if not source.is_dir():
            problems.append(f"{path.name}: no folder {source}")
    return problems


def workflow_problems(documents: list[dict[str, Any]]) -> list[str]:
    """Argo Workflows' references that only a running cluster would find broken:
    a cron workflow's template, and the module a step runs from this repository's
    checkout."""
    kinds = {(d.get("kind"), d.get("metadata", {}).get("name")) for d in documents}
    problems = []
    for document in documents:
        spec = document.get("spec", {})
        name = document.get("metadata", {}).get("name")
        if document.get("kind") == "CronWorkflow":
            reference = spec.get("workflowSpec", {}).get("workflowTemplateRef", {})
            wanted = reference.get("name")
            if wanted and ("WorkflowTemplate", wanted) not in kinds:
                problems.append(f"CronWorkflow/{name}: no WorkflowTemplate {wanted}")
        if document.get("kind") != "WorkflowTemplate":
            continue
        for template in spec.get("templates", []):
            for module in modules_run(template.get("container", {})):
                path = ROOT.parent.parent / module.replace(".", "/")
                runnable = (path.with_suffix(".py"), path / "__main__.py")
                if not any(file.is_file() for file in runnable):
                    problems.append(
                        f"WorkflowTemplate/{name}: {module}: no file "
                        f"{runnable[0]} or {runnable[1]}"
                    )
    return problems


def modules_run(container: dict[str, Any]) -> list[str]:
    """The ``python -m MODULE``s a container runs: its command, or in a shell
    script among its command's words."""
    command = [str(word) for word in container.get("command", [])]
    if command[1:2] == ["-m"] and len(command) > 2:
        return [command[2]]
    return [
        module
        for word in command
        for module in re.findall(r"python3? -m ([A-Za-z_][\w.]*)", word)
    ]


def validate() -> list[str]:
    problems = []
    for environment in ENVIRONMENTS:
        documents = objects(render(environment))
        for document in documents:
            problems += [f"{environment}: {p}" for p in object_problems(document)]
        problems += [f"{environment}: {p}" for p in workflow_problems(documents)]
    return problems + application_problems()


RELEASE = """\
# The release record of {environment}: the container image and the model it
# serves.
# Written by `nox -s deploy -- record {environment} --image IMAGE
# --model-version VERSION` (the deploy workflow commits it); Argo CD applies
# it; a rollback is a revert of that commit.
"""


def record(environment: str, container: str, model_version: str) -> Path:
    """Rewrite the environment's release.yaml; its path. The service and its
    log shipper run the same container image."""
    predictor = {"name": "predictor", "image": container}  # its container image
    shipper = {"name": "log-shipper", "image": container}  # the same container image
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "predictor",
            "annotations": {MODEL_VERSION_KEY: model_version},
        },
        "spec": {
            "template": {
                "metadata": {"annotations": {MODEL_VERSION_KEY: model_version}},
                "spec": {"containers": [predictor], "initContainers": [shipper]},
            }
        },
    }
    path = overlay(environment) / "release.yaml"
    body = yaml.safe_dump(patch, sort_keys=False)
    path.write_text(RELEASE.format(environment=environment) + body)
    return path


def recorded(environment: str) -> tuple[str, str]:
    """ENV's release record: its container image and model version."""
    patch = yaml.safe_load((overlay(environment) / "release.yaml").read_text())
    containers = patch["spec"]["template"]["spec"]["containers"]
    (predictor,) = [c for c in containers if c["name"] == "predictor"]
    container = predictor["image"]  # its container image
    return container, patch["metadata"]["annotations"][MODEL_VERSION_KEY]


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="nox -s deploy --", description=__doc__.splitlines()[0]
    )
    commands = parse.add_subparsers(dest="command", required=True)
    commands.add_parser("render").add_argument("environment", choices=ENVIRONMENTS)
    commands.add_parser("validate")
    release = commands.add_parser("record")
    release.add_argument("environment", choices=ENVIRONMENTS)
    release.add_argument("--image", dest="container", required=True, metavar="IMAGE")
    release.add_argument("--model-version", required=True)
    copy = commands.add_parser("copy")
    copy.add_argument("source", choices=ENVIRONMENTS, metavar="FROM")
    copy.add_argument("environment", choices=ENVIRONMENTS, metavar="TO")
    commands.add_parser("show").add_argument("environment", choices=ENVIRONMENTS)
    return parse


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "render":
            print(render(args.environment), end="")
        elif args.command in ("record", "copy"):
            container, version = (
                recorded(args.source)
                if args.command == "copy"
                else (args.container, args.model_version)
            )
            path = record(args.environment, container, version)
            print(f"{path}: {container}, model {version}")
        elif args.command == "show":
            container, version = recorded(args.environment)
            shown = {"image": container, "model_version": version}  # container image
            print("\n".join(f"{key}={value}" for key, value in shown.items()))
        else:
            problems = validate()
            for problem in problems:
                print(problem)
            if problems:
                return 1
            print(
                f"{', '.join(ENVIRONMENTS)}, their Argo CD Applications and Argo "
                f"Workflows resources are valid for Kubernetes {KUBERNETES_VERSION}"
            )
    except RenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
