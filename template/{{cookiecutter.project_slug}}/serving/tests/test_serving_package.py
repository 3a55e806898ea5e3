"""`python -m serving.package`: the model store import and the Bento build."""

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import problem, quality
from {{ cookiecutter.package_name }}.model import load_checkpoint
from {{ cookiecutter.package_name }}.spec import read_spec

from serving import package
from serving.model_store import MODEL_NAME

SERVICE_NAME = "{{ cookiecutter.project_slug }}"


def stored_versions(folders) -> list[dict]:
    result = folders.run("bentoml", "models", "list", MODEL_NAME, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def latest_metadata(folders) -> dict:
    tag = MODEL_NAME + ":latest"
    result = folders.run("bentoml", "models", "get", tag, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["metadata"]


def test_without_a_checkpoint_it_says_to_train_first(fresh_folders):
    result = fresh_folders.run("-m", "serving.package")
    assert result.returncode == 2
    assert "nox -s train" in result.stderr
    assert str(fresh_folders.checkpoint) in result.stderr


def test_an_unchanged_checkpoint_is_imported_once(fresh_folders, save_model):
    checkpoint = save_model(fresh_folders.checkpoint, seed=0)

    first = fresh_folders.run("-m", "serving.package")
    assert first.returncode == 0, first.stderr
    assert "Imported" in first.stdout
    again = fresh_folders.run("-m", "serving.package")
    assert again.returncode == 0, again.stderr
    assert "nothing imported" in again.stdout
    assert len(stored_versions(fresh_folders)) == 1

    metadata = latest_metadata(fresh_folders)
    assert metadata["sha256"] == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert metadata["arch"] == problem.DEFAULT_ARCH
    assert metadata["task"] == problem.TASK
    _, spec, _ = load_checkpoint(checkpoint)
    metric, _ = quality.primary_metric(spec)
    assert metadata[f"val_{metric}"] == 0.09
    assert "note" not in metadata  # training's numbers only
    # The fitted spec beside the checkpoint: the service builds its API from it.
    (stored,) = (fresh_folders.bentoml_home / "models" / MODEL_NAME).glob("*/")
    assert read_spec(stored) == spec

    save_model(fresh_folders.checkpoint, seed=1)  # a new training run
    retrained = fresh_folders.run("-m", "serving.package")
    assert retrained.returncode == 0, retrained.stderr
    assert "Imported" in retrained.stdout
    assert len(stored_versions(fresh_folders)) == 2


def test_a_model_that_failed_its_gate_is_packaged_with_a_warning(
    fresh_folders, save_model
):
    checkpoint = save_model(fresh_folders.checkpoint, seed=0)
    evaluation = fresh_folders.artifacts / "metrics" / "evaluation.json"
    evaluation.parent.mkdir(parents=True)
    verdict = {"model": str(checkpoint), "metric": "mae", "mae": 46.7, "bar": 0.6}
    evaluation.write_text(json.dumps({**verdict, "passed": False}))
    failed = fresh_folders.run("-m", "serving.package")
    assert failed.returncode == 0, failed.stderr
    assert "failed training's quality gate (mae 46.7, bar 0.6;" in failed.stderr
    assert "Imported" in failed.stdout
    evaluation.write_text(json.dumps({**verdict, "passed": True}))
    assert "warning" not in fresh_folders.run("-m", "serving.package").stderr
    # Trained again since that evaluation: the verdict is not this model's.
    save_model(fresh_folders.checkpoint, seed=1)
    os.utime(evaluation, (1, 1))
    retrained = fresh_folders.run("-m", "serving.package")
    assert "was trained again after its last evaluation" in retrained.stderr
    # An evaluation of another file says nothing about this one.
    evaluation.write_text(json.dumps({**verdict, "model": "other.pt", "passed": False}))
    assert "warning" not in fresh_folders.run("-m", "serving.package").stderr


def test_the_bento_holds_the_service_but_no_training_code(fresh_folders, save_model):
    save_model(fresh_folders.checkpoint)
    result = fresh_folders.run("-m", "serving.package", "--build")
    assert result.returncode == 0, result.stderr
    assert "Built Bento" in result.stdout

    bentos = list((fresh_folders.bentoml_home / "bentos" / SERVICE_NAME).glob("*/src"))
    assert len(bentos) == 1
    source = bentos[0]
    files = {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()}
    assert {"serving/service.py", "contracts/output.schema.json"} <= files
    assert "{{ cookiecutter.package_name }}/model.py" in files
    assert not [f for f in files if f.split("/")[0] in {"training", "data", "tests"}]
    assert not [f for f in files if f.startswith("serving/tests/")]
    assert "serving/runtimes.py" in files  # the model variants serve
    # The tools (benchmark, serve-check harness) stay out of the Bento.
    assert not [f for f in files if f.startswith(("serving/bench/", "serving/check/"))]

    requirements = (source.parent / "env" / "python" / "requirements.txt").read_text()
    packages = {
        re.split(r"[\s<>=!~\[;]", line, maxsplit=1)[0].lower()
        for line in requirements.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    assert "bentoml" in packages
    assert not packages & {"wandb", "pyyaml"}  # the training stack stays out
    # The container installs PyTorch's CPU build (the deploy VMs have no GPU).
    assert "--index-url https://download.pytorch.org/whl/cpu" in requirements
    assert "--extra-index-url https://pypi.org/simple" in requirements
    # The Bento names the model version it serves (BentoML 1.4 copies it from
    # the store when the Bento is containerized or pushed).
    imported_tag = result.stdout.split(" as ", 1)[1].split()[0]
    assert imported_tag.startswith(MODEL_NAME + ":")
    assert f"tag: {imported_tag}" in (source.parent / "bento.yaml").read_text()


def test_a_gpu_bento_asks_for_the_default_cuda_build(fresh_folders, save_model):
    save_model(fresh_folders.checkpoint)
    result = fresh_folders.run("-m", "serving.package", "--build", "--gpu")
    assert result.returncode == 0, result.stderr
    (requirements,) = (fresh_folders.bentoml_home / "bentos" / SERVICE_NAME).glob(
        "*/env/python/requirements.txt"
    )
    assert "torch" in requirements.read_text()
    assert "download.pytorch.org" not in requirements.read_text()
    assert "--gpu chooses" in fresh_folders.run("-m", "serving.package", "--gpu").stderr


def test_an_architecture_brings_what_it_needs_beyond_pytorch_into_the_bento(
    tmp_path,
):
    assert set(problem.ARCH_PACKAGES) <= set(problem.ARCHITECTURES)
    plain = yaml.safe_load(package.BENTOFILE.read_text())
    written = package.write_bentofile(tmp_path, gpu=False, packages=["extra-pkg>=1"])
    options = yaml.safe_load(written.read_text())
    requirements = package.paths.REPO_ROOT / options["python"]["requirements_txt"]
    served = (package.paths.REPO_ROOT / plain["python"]["requirements_txt"]).read_text()
    # Every requirement of the room's file, then the arch's own.
    assert requirements.read_text().startswith(served)
    assert requirements.read_text().splitlines()[-1] == "extra-pkg>=1"
    # Still PyTorch's CPU build, and nothing else changed.
    options_requirements = options["python"]["requirements_txt"]
    options["python"]["requirements_txt"] = plain["python"]["requirements_txt"]
    assert options == plain
    gpu_file = package.write_bentofile(tmp_path, gpu=True, packages=["extra-pkg>=1"])
    gpu = yaml.safe_load(gpu_file.read_text())
    assert not set(package.CPU_INDEX_KEYS) & set(gpu["python"])
    assert gpu["python"]["requirements_txt"] == options_requirements


def test_a_repository_below_a_hidden_folder_is_refused_clearly(monkeypatch):
    # Refused before anything is read, so the path need not exist.
    monkeypatch.setattr(package.paths, "REPO_ROOT", Path("/srv/.projects/team"))
    with pytest.raises(package.PackageError, match=r"hidden folder \(\.projects in"):
        package.build_bento()
