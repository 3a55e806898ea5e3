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


def fake_build(room: str, env) -> None:
    """Stands in for a real build (a venv with pip takes seconds)."""
    room_envs.bin_dir(env).mkdir(parents=True)


def test_changed_requirements_get_a_fresh_env_and_the_old_one_stays(
    room, tmp_path, monkeypatch
):
    monkeypatch.setattr(room_envs, "build", fake_build)
    first = room_envs.ensure(room, log=lambda message: None)
    (first.parent / "built-here").write_text("stale")
    requirements = tmp_path / "kitchen" / "requirements.txt"
    requirements.write_text("# a comment changes the hash\n")
    messages = []
    second = room_envs.ensure(room, log=messages.append)
    assert second != first
    assert not (second.parent / "built-here").exists(), "a new env starts clean"
    assert messages and "kitchen" in messages[0]
    # Another checkout (another branch or task kind) still has the first one.
    requirements.write_text("")
    assert room_envs.ensure(room, log=messages.append) == first
    assert len(messages) == 1, "nothing was built again"


def test_a_room_keeps_its_most_recently_used_envs(room, tmp_path, monkeypatch):
    monkeypatch.setattr(room_envs, "build", fake_build)
    requirements = tmp_path / "kitchen" / "requirements.txt"
    built = []
    for version in range(room_envs.KEEP_PER_ROOM + 1):
        requirements.write_text(f"# version {version}\n")
        built.append(room_envs.ensure(room, log=lambda message: None).parent)
    assert not built[0].exists(), "the least recently used env was deleted"
    assert all(env.exists() for env in built[1:])
    # Another room's environments are not this room's to prune.
    other = tmp_path / "envs" / ("kitchen-sink-" + "0" * 12)
    other.mkdir()
    (other / room_envs.STAMP).write_text("x")
    requirements.write_text("# one more\n")
    room_envs.ensure(room, log=lambda message: None)
    assert other.exists()


def test_fingerprint_follows_the_torch_spec(room, monkeypatch):
    monkeypatch.setenv("TORCH_SPEC", "torch==2.13.0")
    pinned = room_envs.fingerprint(room)
    monkeypatch.setenv(
        "TORCH_SPEC", "torch --index-url https://download.pytorch.org/whl/cpu"
    )
    assert room_envs.fingerprint(room) != pinned


def test_test_and_gpu_requirements_join_only_where_they_belong(
    room, tmp_path, monkeypatch
):
    monkeypatch.delenv("ROOM_ENVS_GPU", raising=False)
    base = room_envs.requirement_files(room)
    for extra in ("requirements-test.txt", "requirements-gpu.txt"):
        (tmp_path / room / extra).write_text("# only sometimes\n")
    cpu = room_envs.requirement_files(room)
    assert cpu == [*base, tmp_path / room / "requirements-test.txt"]
    monkeypatch.setenv("ROOM_ENVS_GPU", "1")
    gpu = room_envs.requirement_files(room)
    assert gpu == [*cpu, tmp_path / room / "requirements-gpu.txt"]
    # A GPU node's environment is one of its own.
    with_gpu = room_envs.fingerprint(room)
    monkeypatch.delenv("ROOM_ENVS_GPU")
    assert room_envs.fingerprint(room) != with_gpu


def test_the_gpu_extras_stay_out_of_a_cpu_environment(monkeypatch):
    monkeypatch.delenv("ROOM_ENVS_GPU", raising=False)
    names = room_envs.requirement_names(room_envs.requirement_files("training"))
    assert "zeus" not in names
    monkeypatch.setenv("ROOM_ENVS_GPU", "1")
    names = room_envs.requirement_names(room_envs.requirement_files("training"))
    assert "zeus" in names  # energy per epoch in nox -s bench-train


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
