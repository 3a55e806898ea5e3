"""Fixtures of the cicd room's deploy tests."""

import shutil
from pathlib import Path

import pytest

# cicd.manifests is imported by the fixtures, not here: the workflow tests also
# run under a Python without the room's requirements (kubernetes-validate).


@pytest.fixture(scope="session")
def real_kubectl() -> str:
    from cicd import debian_tools

    found = debian_tools.find_or_fetch("kubectl", log=lambda line: None)
    if found is None:
        pytest.skip("no kubectl: install it, or run where apt-get can fetch it")
    return found


@pytest.fixture
def k8s_copy(tmp_path, monkeypatch) -> Path:
    """The manifests copied (with the monitoring and data rooms' files
    production renders), so that records written by a test stay in the test."""
    from cicd import manifests

    root = manifests.ROOT.parent.parent
    shutil.copytree(manifests.ROOT, tmp_path / "cicd" / "k8s")
    shutil.copytree(root / "monitoring", tmp_path / "monitoring")
    studio = Path("data") / "label_studio_server"
    shutil.copytree(root / studio, tmp_path / studio)
    monkeypatch.setattr(manifests, "ROOT", tmp_path / "cicd" / "k8s")
    return tmp_path
