"""Room environments: built once, rebuilt only when their requirements change."""

import pytest

from cicd import room_envs


@pytest.fixture
def room(tmp_path, monkeypatch):
    """A fake room with empty requirements, so no package is downloaded."""
    monkeypatch.setattr(room_envs, "ROOT", tmp_path)
    monkeypatch.setattr(room_envs, "TEST_REQUIREMENTS", tmp_path / "tests.txt")
    monkeypatch.setenv("ROOM_ENVS_DIR", str(tmp_path / "envs"))
    (tmp_path / "tests.txt").write_text("# nothing\n")
    (tmp_path / "kitchen").mkdir()
    (tmp_path / "kitchen" / "requirements.txt").write_text("")
    return "kitchen"


def test_env_is_built_then_reused(room, tmp_path):
    bin_dir = room_envs.ensure(room, log=lambda message: None)
    python = bin_dir / "python"
    assert python.exists()
    built = python.stat().st_mtime_ns
    marker = bin_dir.parent / "built-here"
    marker.write_text("kept")
    assert room_envs.ensure(room, log=lambda message: None) == bin_dir
    assert marker.exists() and python.stat().st_mtime_ns == built


def test_changed_requirements_rebuild_the_env(room, tmp_path):
    bin_dir = room_envs.ensure(room, log=lambda message: None)
    marker = bin_dir.parent / "built-here"
    marker.write_text("stale")
    (tmp_path / "kitchen" / "requirements.txt").write_text(
        "# a comment changes the hash\n"
    )
    messages = []
    room_envs.ensure(room, log=messages.append)
    assert not marker.exists(), "a rebuilt environment starts clean"
    assert messages and "kitchen" in messages[0]


def test_fingerprint_follows_the_torch_spec(room, monkeypatch):
    monkeypatch.setenv("TORCH_SPEC", "torch==2.13.0")
    pinned = room_envs.fingerprint(room)
    monkeypatch.setenv(
        "TORCH_SPEC", "torch --index-url https://download.pytorch.org/whl/cpu"
    )
    assert room_envs.fingerprint(room) != pinned


@pytest.mark.parametrize(
    "line, expected",
    [
        ("torch>=2.2", True),
        ("torch", True),
        ("torch ; python_version > '3.10'", True),
        ("torchvision>=0.20", False),
        ("# torch", False),
        ("pytorch-lightning", False),
    ],
)
def test_torch_is_detected_in_requirements(tmp_path, line, expected):
    file = tmp_path / "requirements.txt"
    file.write_text(line + "\n")
    assert room_envs.needs_torch([file]) is expected


def test_every_room_lists_its_requirements():
    for room in ("data", "training", "serving", "monitoring", "cicd"):
        assert room_envs.requirement_lines(room_envs.ROOT / room / "requirements.txt")


def test_serving_does_not_carry_the_training_stack():
    serving = room_envs.requirement_names(room_envs.requirement_files("serving"))
    assert {"bentoml", "torch"} <= serving
    assert not serving & {"wandb", "pyyaml"}, "the training stack stays out of serving"
