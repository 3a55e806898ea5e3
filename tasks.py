"""Bootstrap for the README's two commands, using nothing but Python and git.

    python3 tasks.py generate   # render the default team project and run its pipeline
    python3 tasks.py test       # the template's whole test suite (what CI runs)
    python3 tasks.py fast       # the same without the generated projects' nox runs

It keeps nox in `.venv-tasks/` (created on first use) and hands over to the nox
session of the same name in noxfile.py; extra arguments go to the session.
"""

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS_ENV = ROOT / ".venv-tasks"
NOX_REQUIREMENT = "nox==2026.10.20"
SESSIONS = {"generate": "generate", "test": "tests", "fast": "fast"}


def nox_executable() -> Path:
    bin_dir = TOOLS_ENV / ("Scripts" if os.name == "nt" else "bin")
    nox = bin_dir / "nox"
    if not nox.exists():
        print(f"tasks.py: installing {NOX_REQUIREMENT} into {TOOLS_ENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS_ENV)
        subprocess.run(
            [bin_dir / "python", "-m", "pip", "install", "--quiet", NOX_REQUIREMENT],
            check=True,
        )
    return nox


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SESSIONS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command = [
        str(nox_executable()),
        "-f",
        str(ROOT / "noxfile.py"),
        "-s",
        SESSIONS[argv[0]],
    ]
    if argv[1:]:
        command += ["--", *argv[1:]]
    return subprocess.run(command, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
