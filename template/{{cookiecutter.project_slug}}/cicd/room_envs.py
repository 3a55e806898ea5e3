"""One virtual environment per room, holding only what that room needs.

nox makes one environment per *session*, so `train`, the training tests and the
pipeline would each install PyTorch again. Here every session of a room runs in
that room's environment, which is built again only when its requirements change.

Environment variables:

- ``ROOM_ENVS_DIR``: where the environments live (default ``.nox/rooms``); point
  several checkouts at one folder to share the installs.
- ``ROOM_ENVS_GPU``: ``1`` on a GPU node adds a room's `requirements-gpu.txt`
  (the training room's: Zeus, which measures GPU energy), in an environment of
  its own.
- ``TORCH_SPEC``: the pip arguments that install PyTorch, before anything else
  can pull in a default build. Default ``torch``; on a CPU-only machine with
  internet access ``torch --index-url https://download.pytorch.org/whl/cpu``
  avoids downloading CUDA libraries.

PyTorch is installed once per ``TORCH_SPEC`` and Python, in an environment of
its own (``torch-<hash>``), and every room that needs it reads it from there
through a ``.pth`` file: a copy is about 1 GB (5.5 GB for a CUDA build with
torchvision), and the training and serving rooms of every task kind share one.
Its console scripts (``torchrun``) are written into each such room's own bin.

Each environment's folder is named after the room and a hash of what it
installs (``serving-3f2a...``), so checkouts whose requirements differ (another
branch, another task kind) share ``ROOM_ENVS_DIR`` without rebuilding each
other's environments, and a build holds a lock so that two runs never build one
environment at once. A room keeps its `KEEP_PER_ROOM` most recently used
environments; older ones are deleted when a new one is built.
"""

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: builds are not locked there
    fcntl = None

ROOT = Path(__file__).resolve().parent.parent
TEST_REQUIREMENTS = ROOT / "tests" / "requirements.txt"
STAMP = ".requirements-fingerprint"
# Environments kept per room: enough for a few branches or task kinds at once.
KEEP_PER_ROOM = 3
# In a room environment's site-packages: the path of the PyTorch layer it reads.
LAYER_PTH = "shared-torch.pth"


def envs_dir() -> Path:
    return Path(os.environ.get("ROOM_ENVS_DIR", ROOT / ".nox" / "rooms")).resolve()


def torch_spec() -> list[str]:
    return shlex.split(os.environ.get("TORCH_SPEC", "torch"))


def requirement_files(room: str) -> list[Path]:
    """What the room's environment installs: its requirements, the tests' shared
    ones, and `requirements-test.txt` when the room has one (what only its tests
    need, kept out of what it ships: the Bento installs requirements.txt alone);
    on a GPU node (ROOM_ENVS_GPU=1), `requirements-gpu.txt` too."""
    extras = [ROOT / room / "requirements-test.txt"]
    if os.environ.get("ROOM_ENVS_GPU") == "1":
        extras.append(ROOT / room / "requirements-gpu.txt")
    return [
        ROOT / room / "requirements.txt",
        TEST_REQUIREMENTS,
        *(extra for extra in extras if extra.is_file()),
    ]


def requirement_lines(file: Path) -> list[str]:
    """The requirement specifiers of a requirements file, comments dropped."""
    lines = (line.split("#", 1)[0].strip() for line in file.read_text().splitlines())
    return [line for line in lines if line]


def requirement_names(files: list[Path]) -> set[str]:
    """The lowercased distribution names the files ask for, versions dropped."""
    return {
        re.split(r"[\s<>=!~\[;]", line.lower(), maxsplit=1)[0]
        for file in files
        for line in requirement_lines(file)
    }


def needs_torch(files: list[Path]) -> bool:
    return "torch" in requirement_names(files)


def fingerprint(room: str) -> str:
    """Changes whenever the room's requirements, the torch spec or Python change."""
    digest = hashlib.sha256()
    for file in requirement_files(room):
        digest.update(file.read_bytes())
    digest.update(" ".join(torch_spec()).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def bin_dir(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def env_path(room: str) -> Path:
    """The folder of the room's environment for its current requirements."""
    return envs_dir() / f"{room.replace('/', '-')}-{fingerprint(room)[:12]}"


@contextlib.contextmanager
def build_lock(env: Path) -> Iterator[None]:
    """Held while ``env`` is checked and built: one build at a time per env."""
    env.parent.mkdir(parents=True, exist_ok=True)
    with open(env.with_name(env.name + ".lock"), "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def prune(room: str, keep: Path) -> None:
    """Delete the room's environments beyond the `KEEP_PER_ROOM` last used."""
    prefix = room.replace("/", "-") + "-"
    others = [
        stamp.parent
        for stamp in envs_dir().glob(f"{prefix}*/{STAMP}")
        if stamp.parent != keep and len(stamp.parent.name) == len(prefix) + 12
    ]
    others.sort(key=lambda env: (env / STAMP).stat().st_mtime, reverse=True)
    for env in others[KEEP_PER_ROOM - 1 :]:
        shutil.rmtree(env, ignore_errors=True)


def torch_layer(log=print) -> Path:
    """The environment holding PyTorch as TORCH_SPEC installs it, built first if
    this spec and Python have none yet."""
    wanted = hashlib.sha256((" ".join(torch_spec()) + sys.version).encode()).hexdigest()
    layer = envs_dir() / f"torch-{wanted[:12]}"
    stamp = layer / STAMP
    with build_lock(layer):
        if not (stamp.exists() and stamp.read_text() == wanted):
            log(f"Installing PyTorch ({' '.join(torch_spec())}) once, in {layer}")
            venv.EnvBuilder(with_pip=True, clear=True).create(layer)
            subprocess.run([*pip_install(layer), *torch_spec()], check=True)
            stamp.write_text(wanted)
    return layer


def site_packages(env: Path) -> Path:
    python = str(bin_dir(env) / "python")
    where = "import sysconfig; print(sysconfig.get_path('platlib'))"
    return Path(
        subprocess.run(
            [python, "-c", where], capture_output=True, text=True, check=True
        ).stdout.strip()
    )


def share_torch(env: Path, layer: Path) -> None:
    """Make the layer's packages importable in ``env`` (after its own, so a
    room's own pin wins) and its console scripts runnable from ``env``'s bin."""
    (site_packages(env) / LAYER_PTH).write_text(f"{site_packages(layer)}\n")
    layer_python = str(bin_dir(layer) / "python")
    for script in bin_dir(layer).iterdir():
        target = bin_dir(env) / script.name
        if target.exists() or not script.is_file():
            continue
        with open(script, "rb") as head:
            first = head.readline().decode(errors="replace").strip()
        if first != f"#!{layer_python}":
            continue  # the venv's own python and activate scripts
        text = script.read_text()
        target.write_text(text.replace(first, f"#!{bin_dir(env) / 'python'}", 1))
        target.chmod(script.stat().st_mode)


def shared_torch_present(env: Path) -> bool:
    """False when the room reads PyTorch from a layer that is gone."""
    places = ("lib*/python*/site-packages", "Lib/site-packages")  # POSIX, Windows
    found = [pth for place in places for pth in env.glob(f"{place}/{LAYER_PTH}")]
    return all(Path(pth.read_text().strip()).is_dir() for pth in found)


def ensure(room: str, log=print) -> Path:
    """The room's environment, built first if its requirements have none yet.

    Returns the folder holding its executables (python, pytest, bentoml, ...).
    A room may be a sub-folder with its own requirements.txt ("cicd/runner").
    """
    env = env_path(room)
    stamp = env / STAMP
    wanted = fingerprint(room)
    with build_lock(env):
        built = stamp.exists() and stamp.read_text() == wanted
        if built and shared_torch_present(env):
            stamp.touch()  # recently used: pruned last
            return bin_dir(env)
        log(f"Preparing the {room} environment in {env}")
        build(room, env, log)
        stamp.write_text(wanted)
    prune(room, keep=env)
    return bin_dir(env)


def pip_install(env: Path) -> list[str]:
    python = str(bin_dir(env) / "python")
    return [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]


def build(room: str, env: Path, log=print) -> None:
    """A fresh virtual environment at ``env`` with the room's requirements."""
    venv.EnvBuilder(with_pip=True, clear=True).create(env)
    files = requirement_files(room)
    if needs_torch(files):
        # First, so that no other requirement pulls in a default (CUDA) build:
        # pip sees the layer's torch as installed.
        share_torch(env, torch_layer(log))
    if any(requirement_lines(file) for file in files):
        requirements = [arg for file in files for arg in ("-r", str(file))]
        subprocess.run([*pip_install(env), *requirements], check=True)
