"""Every data test writes under its own temporary ARTIFACTS_DIR."""

from pathlib import Path

import pytest


@pytest.fixture
def artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "artifacts"
    monkeypatch.setenv("ARTIFACTS_DIR", str(folder))
    return folder
