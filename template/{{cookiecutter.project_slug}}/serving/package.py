"""Import the latest trained checkpoint into the BentoML model store.

Usage: python -m serving.package [--build [--gpu]] [--checkpoint PATH]

Reads `paths.latest_model_path()` (artifacts/models/model.pt; ``--checkpoint``
names another, e.g. the model a stage of nox -s operate serves) and stores it as a
new version of `model_store.MODEL_NAME`, with the fitted problem spec it was
trained with beside it (``problem.json``: the services build their API from
it), unless the latest stored version already holds the same file (same
sha256). With ``--build`` it then builds the Bento from
serving/bentofile.yaml with the repository root as build context (no Docker
needed), adding the packages the model's architecture needs beyond PyTorch
(``problem.ARCH_PACKAGES``, e.g. torchvision). BentoML keeps both under
``$BENTOML_HOME``.

A checkpoint that failed training's quality gate, or was trained again after
its last evaluation (`paths.evaluation_path()`), is still packaged, since a
team may want to serve it to look at it, but a warning says so first: the GPU
run's comparison and the canary gate are what keep such a model from users.

Exit codes: 0 done, 2 no checkpoint (train first), a checkpoint that cannot be
served, or a repository BentoML will not build from (below a hidden folder).
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bentoml
import yaml  # BentoML's own dependency: it reads bentofile.yaml with it

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.hashing import file_sha256
from {{ cookiecutter.package_name }}.model import load_checkpoint
from {{ cookiecutter.package_name }}.spec import Spec, finite_number, write_spec

from .model_store import MODEL_NAME, checkpoint_path, latest_model

BENTOFILE = Path(__file__).resolve().parent / "bentofile.yaml"
# The bentofile's python options that make the Bento's PyTorch the CPU build.
CPU_INDEX_KEYS = ("index_url", "extra_index_url")
PROJECT_ID = "{{ cookiecutter.project_id }}"


class PackageError(Exception):
    """The checkpoint cannot be packaged; the message says what to do."""


@dataclass(frozen=True)
class ImportResult:
    model: bentoml.Model
    imported: bool  # False: the latest stored model already held this checkpoint


def served_spec(checkpoint: Path) -> tuple[Spec, dict[str, Any]]:
    """The checkpoint's fitted spec and metadata; loading it proves it serves."""
    try:
        _, spec, metadata = load_checkpoint(checkpoint)
    except Exception as error:
        raise PackageError(f"{checkpoint} cannot be loaded: {error}") from error
    return spec, metadata


def model_metadata(
    checkpoint: Path, sha256: str, spec: Spec, checkpoint_info: dict[str, Any]
) -> dict[str, str | int | float]:
    """What the store records about a checkpoint (`bentoml models get`)."""
    metadata: dict[str, str | int | float] = {
        "sha256": sha256,
        "task": spec.task,
        "arch": str(checkpoint_info["arch"]),
        "source": str(checkpoint),
    }
    # What training recorded about the model (training/train.py), if anything:
    # its numbers, e.g. val_accuracy or val_mae.
    trained = checkpoint_info.get("extra", {}).get("metrics", {})
    for name, value in sorted(trained.items()):
        number = finite_number(value)
        if number is not None:
            metadata.setdefault(str(name), number)
    return metadata


def gate_warning(checkpoint: Path) -> str | None:
    """What training's last evaluation says against packaging ``checkpoint``:
    it failed the quality gate, or it was trained again since; None if it
    passed, or if that evaluation was of another file."""
    evaluation = paths.evaluation_path()
    try:
        document = json.loads(evaluation.read_text())
        evaluated = Path(document["model"]).resolve() == checkpoint.resolve()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not evaluated or not checkpoint.is_file():
        return None
    if evaluation.stat().st_mtime < checkpoint.stat().st_mtime:
        return (
            f"{checkpoint} was trained again after its last evaluation "
            f"({evaluation}): its quality is unknown (nox -s train evaluates it)"
        )
    if document.get("passed") is False:
        metric = document.get("metric", "?")
        return (
            f"{checkpoint} failed training's quality gate ({metric} "
            f"{document.get(metric)}, bar {document.get('bar')}; {evaluation})"
        )
    return None


def import_checkpoint(checkpoint: Path) -> ImportResult:
    """Store ``checkpoint`` as a new model version unless it is already the latest."""
    if not checkpoint.is_file():
        raise PackageError(
            f"no trained model at {checkpoint}: run nox -s train first "
            "(or set ARTIFACTS_DIR to where your artifacts are)"
        )
    sha256 = file_sha256(checkpoint)
    latest = latest_model()
    if latest is not None and latest.info.metadata.get("sha256") == sha256:
        return ImportResult(latest, imported=False)
    spec, checkpoint_info = served_spec(checkpoint)
    metadata = model_metadata(checkpoint, sha256, spec, checkpoint_info)
    labels = {"project": PROJECT_ID, "arch": str(metadata["arch"])}
    with bentoml.models.create(MODEL_NAME, labels=labels, metadata=metadata) as model:
        shutil.copyfile(checkpoint, checkpoint_path(model))
        write_spec(spec, Path(model.path))
    return ImportResult(model, imported=True)


def write_bentofile(folder: Path, *, gpu: bool, packages: Sequence[str] = ()) -> Path:
    """serving/bentofile.yaml, written into ``folder``: without its CPU package
    index when ``gpu`` (CUDA PyTorch), and installing ``packages`` too."""
    options = yaml.safe_load(BENTOFILE.read_text())
    python = options["python"]
    if gpu:
        for key in CPU_INDEX_KEYS:
            python.pop(key, None)
    if packages:
        # BentoML ignores `packages` beside `requirements_txt`: one file holds both.
        requirements = folder / "requirements.txt"
        served = (paths.REPO_ROOT / python["requirements_txt"]).read_text()
        extra = "\n".join(packages)
        requirements.write_text(f"{served}# What the model's arch needs:\n{extra}\n")
        # Relative to the build context: BentoML refuses absolute paths there.
        python["requirements_txt"] = os.path.relpath(requirements, paths.REPO_ROOT)
    bentofile = folder / "bentofile.yaml"
    bentofile.write_text(yaml.safe_dump(options, sort_keys=False))
    return bentofile


def arch_packages(model: bentoml.Model) -> tuple[str, ...]:
    """What the stored model's architecture needs beyond PyTorch (e.g.
    torchvision): the Bento must install it, or the service cannot rebuild it."""
    return tuple(problem.ARCH_PACKAGES.get(str(model.info.metadata.get("arch")), ()))


def build_bento(gpu: bool = False, packages: Sequence[str] = ()) -> bentoml.Bento:
    """Build the Bento: only the shared package, serving/ and contracts/ go in;
    PyTorch's CPU build unless ``gpu``; ``packages`` installed beside it."""
    hidden = [part for part in paths.REPO_ROOT.parts if part.startswith(".")]
    if hidden:
        # BentoML refuses any build file below a hidden folder, with a message
        # that blames the file rather than the folder.
        raise PackageError(
            f"bentoml build refuses to read files below a hidden folder "
            f"({', '.join(hidden)} in {paths.REPO_ROOT}); move the repository "
            "to a path without folders whose names start with '.'"
        )
    if not gpu and not packages:
        return bentoml.bentos.build_bentofile(
            str(BENTOFILE), build_ctx=str(paths.REPO_ROOT)
        )
    # Inside the build context, where BentoML reads the requirements from.
    with tempfile.TemporaryDirectory(dir=paths.REPO_ROOT, prefix="bento-") as folder:
        bentofile = write_bentofile(Path(folder), gpu=gpu, packages=packages)
        return bentoml.bentos.build_bentofile(
            str(bentofile), build_ctx=str(paths.REPO_ROOT)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serving.package", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--build", action="store_true", help="also build the Bento afterwards"
    )
    parser.add_argument(
        "--gpu", action="store_true", help="a Bento with CUDA PyTorch (not the CPU one)"
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=paths.latest_model_path(),
        help="the checkpoint to import (default: the latest trained model)",
    )
    args = parser.parse_args(argv)
    if args.gpu and not args.build:
        parser.error("--gpu chooses the Bento's PyTorch build: give --build too")
    warning = gate_warning(args.checkpoint)
    if warning:
        print(f"warning: {warning}; packaging it all the same", file=sys.stderr)
    try:
        result = import_checkpoint(args.checkpoint)
        if result.imported:
            print(f"Imported {args.checkpoint} as {result.model.tag}")
        else:
            print(f"{result.model.tag} already holds this checkpoint; nothing imported")
        if args.build:
            packages = arch_packages(result.model)
            bento = build_bento(gpu=args.gpu, packages=packages)
            print(f"Built Bento {bento.tag} at {bento.path}")
    except PackageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
