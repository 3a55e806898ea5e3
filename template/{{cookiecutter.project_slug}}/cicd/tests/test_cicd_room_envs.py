"""Room environments: built once, rebuilt only when their requirements change."""

import shutil
import subprocess
import zipfile

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


def fake_build(room: str, env, log) -> None:
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


def fake_torch_wheel(folder) -> str:
    """A wheel named torch (0.0.1, with a `torchrun`-like console script):
    what TORCH_SPEC installs, without downloading PyTorch."""
    wheel = folder / "torch-0.0.1-py3-none-any.whl"
    info = "torch-0.0.1.dist-info"
    files = {
        "torch/__init__.py": "import sys\n\n\ndef run():\n    print(sys.prefix)\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: torch\nVersion: 0.0.1\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        f"{info}/entry_points.txt": "[console_scripts]\ntorch-prefix = torch:run\n",
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr(f"{info}/RECORD", "".join(f"{n},,\n" for n in files))
    return str(wheel)


@pytest.mark.slow  # builds three environments with pip
def test_rooms_that_need_torch_share_one_install(room, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_SPEC", fake_torch_wheel(tmp_path))
    for name in ("kitchen", "pantry"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "requirements.txt").write_text("torch==0.0.1\n")
    messages = []
    kitchen = room_envs.ensure("kitchen", log=messages.append)
    pantry = room_envs.ensure("pantry", log=messages.append)
    (layer,) = [path for path in (tmp_path / "envs").glob("torch-*") if path.is_dir()]
    assert sum("Installing PyTorch" in message for message in messages) == 1
    for bin_dir in (kitchen, pantry):
        where = subprocess.run(
            [str(bin_dir / "python"), "-c", "import torch; print(torch.__file__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert where.startswith(str(layer)), "torch is read from the layer"
        assert not list(bin_dir.parent.glob("lib*/python*/site-packages/torch"))
        # The console script runs with the room's Python, not the layer's.
        prefix = subprocess.run(
            [str(bin_dir / "torch-prefix")], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert prefix == str(bin_dir.parent)
    # A room whose layer is gone is built again, with the layer.
    shutil.rmtree(layer)
    assert room_envs.ensure("kitchen", log=messages.append) == kitchen
    assert layer.is_dir()
