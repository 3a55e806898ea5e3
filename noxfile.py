"""Sessions for working on the template itself (`nox -l` lists them).

`python3 tasks.py generate|test|fast` bootstraps nox and runs `generate`, `tests` or
`fast`.
"""

import os
import shutil
import time
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / "build"

# The template's own tools besides tests (linted with them).
TOOLS = ["roster.py", "mkdocs_hooks.py", "migrations", "template/questionnaire.py"]

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True


def generated_project_env() -> dict[str, str]:
    """Environment for running a rendered project's own nox sessions.

    All renderings share one set of room environments, so PyTorch, BentoML and W&B
    are installed once, not once per rendering. TORCH_SPEC defaults to the CPU build
    that lies on this project's CI machines; override it elsewhere.
    """
    return {
        "ROOM_ENVS_DIR": os.environ.get(
            "ROOM_ENVS_DIR", str(ROOT / ".cache" / "room-envs")
        ),
        "TORCH_SPEC": os.environ.get("TORCH_SPEC", "torch==2.13.0"),
    }


def run_template_tests(session: nox.Session, *pytest_args: str) -> None:
    session.install("-r", "requirements-dev.txt")
    # A folder of its own: pytest prunes old numbered folders under the shared
    # /tmp/pytest-of-<user>, and another pytest on the machine would otherwise
    # delete this run's rendered projects while they are being tested. Not
    # below a hidden folder: `bentoml build` refuses those paths.
    basetemp = BUILD / "test-runs"
    BUILD.mkdir(exist_ok=True)  # pytest creates basetemp, but not its parent
    session.run(
        "pytest",
        "tests",
        f"--basetemp={basetemp}",
        "-rs",  # why a test was skipped (e.g. torchvision that cannot install)
        "--durations=8",  # where the run's time goes
        # Tests side by side, one worker per core: most of the time is spent in
        # single-threaded subprocesses (pip, nox, pytest of a rendered project).
        # Whole files per worker, except the long tests marked `alone`
        # (tests/conftest.py); room environments and fetched tools are built
        # under a lock, so workers share them safely.
        f"--numprocesses={os.environ.get('TEST_WORKERS', 'auto')}",
        "--maxprocesses=4",  # beyond that, rendering in every worker costs more
        "--dist=loadgroup",
        "--no-loadscope-reorder",  # in conftest's order: the `alone` tests first
        *pytest_args,
        *session.posargs,
        env=generated_project_env(),
    )


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite: questionnaire, renderings, generated projects' own checks."""
    run_template_tests(session)


@nox.session
def fast(session: nox.Session) -> None:
    """Every test except the slow ones that run generated projects' nox sessions."""
    run_template_tests(session, "-m", "not slow")


@nox.session
def generate(session: nox.Session) -> None:
    """Render a team project into build/ and run its end-to-end pipeline.

    `-- [FOLDER] [QUESTION=ANSWER ...]`: the folder under build/ (default
    gourmetgram) and answers besides the defaults, e.g.
    `nox -s generate -- ledger task=text-classification`.
    """
    session.install("-r", "requirements-dev.txt")
    answers = [arg for arg in session.posargs if "=" in arg]
    folders = [arg for arg in session.posargs if "=" not in arg]
    destination = BUILD / (folders[0] if folders else "gourmetgram")
    shutil.rmtree(destination, ignore_errors=True)
    started = time.perf_counter()
    session.run(
        "copier",
        "copy",
        "--defaults",
        "--vcs-ref",
        "HEAD",
        "--quiet",
        *(option for answer in answers for option in ("--data", answer)),
        str(ROOT),
        str(destination),
    )
    copied = time.perf_counter() - started
    started = time.perf_counter()
    session.run(
        "nox",
        "-f",
        str(destination / "noxfile.py"),
        "-s",
        "pipeline",
        env=generated_project_env(),
    )
    pipeline = time.perf_counter() - started
    session.log(f"copier copy: {copied:.2f} s; nox -s pipeline: {pipeline:.0f} s")
    session.log(
        f"The generated project is in {destination}; its summary: "
        f"{destination / 'reports' / 'pipeline.md'}"
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Print how long `copier copy --defaults` takes (median of 5 runs)."""
    session.install("-r", "requirements-dev.txt")
    session.run("python", "tests/bench_copy.py", *session.posargs)


@nox.session
def roster(session: nox.Session) -> None:
    """One team repository per CSV row: `nox -s roster -- teams.csv out/` (see roster.py)."""
    session.install("-r", "requirements-dev.txt")
    session.run("python", "roster.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs site into build/site (`-- serve` to preview it instead)."""
    session.install("-r", "requirements-dev.txt")
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve")
    else:
        session.run("mkdocs", "build", "--strict")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the template's own Python (rendered projects are linted by tests)."""
    session.install("ruff==0.17.6")
    paths = ["noxfile.py", "tasks.py", "tests", *TOOLS]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
