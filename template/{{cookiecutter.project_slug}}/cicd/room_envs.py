"""One virtual environment per room, holding only what that room needs.

nox makes one environment per *session*, so `train`, the training tests and the
pipeline would each install PyTorch again. Here every session of a room runs in
that room's environment, which is rebuilt only when its requirements change.

Environment variables:

- ``ROOM_ENVS_DIR``: where the environments live (default ``.nox/rooms``); point
  several checkouts at one folder to share the installs.
- ``TORCH_SPEC``: the pip arguments that install PyTorch, before anything else
  can pull in a default build. Default ``torch``; on a CPU-only machine with
  internet access ``torch --index-url https://download.pytorch.org/whl/cpu``
  avoids downloading CUDA libraries.
"""

import hashlib
import os
import re
import shlex
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_REQUIREMENTS = ROOT / "tests" / "requirements.txt"


def envs_dir() -> Path:
    return Path(os.environ.get("ROOM_ENVS_DIR", ROOT / ".nox" / "rooms")).resolve()


def torch_spec() -> list[str]:
    return shlex.split(os.environ.get("TORCH_SPEC", "torch"))


def requirement_files(room: str) -> list[Path]:
    return [ROOT / room / "requirements.txt", TEST_REQUIREMENTS]


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


def ensure(room: str, log=print) -> Path:
    """The room's environment, created or updated if its requirements changed.

    Returns the folder holding its executables (python, pytest, bentoml, ...).
    A room may be a sub-folder with its own requirements.txt ("cicd/runner").
    """
    env = envs_dir() / room.replace("/", "-")
    stamp = env / ".requirements-fingerprint"
    wanted = fingerprint(room)
    if stamp.exists() and stamp.read_text() == wanted:
        return bin_dir(env)
    log(f"Preparing the {room} environment in {env}")
    venv.EnvBuilder(with_pip=True, clear=stamp.exists()).create(env)
    python = str(bin_dir(env) / "python")
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    files = requirement_files(room)
    if needs_torch(files):
        # First, so that no other requirement pulls in a default (CUDA) build.
        subprocess.run([*pip, *torch_spec()], check=True)
    if any(requirement_lines(file) for file in files):
        requirements = [arg for file in files for arg in ("-r", str(file))]
        subprocess.run([*pip, *requirements], check=True)
    stamp.write_text(wanted)
    return bin_dir(env)
