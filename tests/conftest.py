"""Rendering helpers shared by the template's tests."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import copier
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# Every room, in the roles' order, from roles/ (the single source of ownership).
ROOMS = tuple(
    role["room"]
    for role in sorted(
        (yaml.safe_load(path.read_text()) for path in (ROOT / "roles").glob("*.yml")),
        key=lambda role: role["order"],
    )
)

# The problem kinds (copier.yml's `task` choices, the first the default) and the
# module of the shared package that implements each.
KIND_MODULES = {
    "image-classification": "image",
    "text-classification": "text",
    "tabular-regression": "tabular",
}
TASKS = tuple(KIND_MODULES)

# The rendering matrix: each problem kind; 3 and 4 members, shared and owned cicd, a
# name with spaces and accents. Each entry is the data passed to copier on top of
# --defaults. The kinds other than the default differ from the defaults in `task`
# alone, so their rooms can be compared with the default rendering's byte for byte.
SCENARIOS: dict[str, dict] = {
    "four-owned-cicd": {},
    "text-classification": {"task": "text-classification"},
    "tabular-regression": {"task": "tabular-regression"},
    "three-shared-cicd-accents": {
        "project_name": "Café Rétro Vision",
        "members": ["ana-r", "Bo", "chen99"],
    },
    "four-shared-cicd": {
        "members": ["w1", "x2", "y3", "z4"],
        "training_owner": "w1",
        "serving_owner": "x2",
        "monitoring_owner": "y3",
        "data_owner": "z4",
        "cicd_owner": "shared",
        # The application the team's ML feature lives in, beside the model.
        "host_app_image": "ghcr.io/example-org/shop:2.1",
        "host_app_port": 5000,
    },
    "three-owned-cicd": {
        "project_name": "Food Vision",
        "members": ["amy", "bob", "cat"],
        "cicd_owner": "cat",
        "course_timezone": "Europe/Paris",
        "tracker": "mlflow",
    },
}
# The scenario that tracks with MLflow (every other one with W&B, the default).
MLFLOW_SCENARIO = "three-owned-cicd"


# Free-text project names and the slug and package both engines must derive.
DERIVED_NAMES = [
    ("Café Rétro Vision", "cafe-retro-vision", "cafe_retro_vision"),
    ("  Smörgås   Bord!! 2 ", "smoergas-bord-2", "smoergas_bord_2"),
    ("42 Plates", "42-plates", "team_42_plates"),
]


# Scenarios that render each kind with otherwise default answers.
KIND_SCENARIOS = {
    "image-classification": "four-owned-cicd",
    "text-classification": "text-classification",
    "tabular-regression": "tabular-regression",
}


def task_of(scenario: str) -> str:
    return SCENARIOS[scenario].get("task", TASKS[0])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: runs a generated project's own nox sessions (room environments,"
        " minutes); `nox -s fast` leaves these out",
    )
    config.addinivalue_line(
        "markers",
        "alone: a long test that shares no fixture with the rest of its file:"
        " pytest-xdist may run it on any worker, apart from that file",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """How pytest-xdist shares the tests out (noxfile.py: --dist=loadgroup).

    Each file goes whole to one worker, so that its module fixtures (a rendered
    project, a dataset, a server) are made once; a test marked `alone` goes by
    itself to whichever worker is free. Those run first: they are the longest,
    and the whole files fill the time around them.
    """
    for item in items:
        if item.get_closest_marker("alone") is None:
            item.add_marker(pytest.mark.xdist_group(item.path.name))
    items.sort(key=lambda item: item.get_closest_marker("alone") is None)


def render(destination: Path, **answers) -> Path:
    """Render the template at HEAD (plus uncommitted changes) with copier's API."""
    copier.run_copy(
        str(ROOT),
        str(destination),
        data=answers,
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
        unsafe=False,
    )
    return destination


def answers_of(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def project_env() -> dict[str, str]:
    """Environment for a rendered project's nox sessions (see noxfile.py)."""
    env = dict(os.environ)
    env.setdefault("ROOM_ENVS_DIR", str(ROOT / ".cache" / "room-envs"))
    env.setdefault("TORCH_SPEC", "torch==2.13.0")
    # A member's API key or server must never make the test suite log runs online.
    env["WANDB_MODE"] = "offline"
    env.pop("WANDB_API_KEY", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    # The generated `nox -s tests` runs its slow tests on CI (CI=true); here the
    # template's tests ask for them where they want them (`-- --slow`), alike on
    # CI and on a laptop.
    env.pop("CI", None)
    return env


_SCRATCH: dict[Path, str] = {}


def scratch_dir(project: Path) -> str:
    """A TMPDIR of the project's own, made once, short and under the system's.

    Own: pytest prunes old numbered folders under the shared
    /tmp/pytest-of-<user>, so another pytest on the machine could otherwise
    delete the project's test folders mid-test. Short: BentoML puts Unix sockets
    under it, and a socket path may not exceed 107 bytes. Removed when the test
    process ends: a whole run leaves about 0.4 GB there otherwise.
    """
    if project not in _SCRATCH:
        _SCRATCH[project] = tempfile.mkdtemp(prefix="gen-")
        atexit.register(shutil.rmtree, _SCRATCH[project], ignore_errors=True)
    return _SCRATCH[project]


def run_nox(
    project: Path, *args: str, timeout: int = 1800, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the rendered project's own noxfile with the nox of this environment
    (``env``: variables set over `project_env()`)."""
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(project / "noxfile.py"), *args],
        cwd=project,
        env={**project_env(), "TMPDIR": scratch_dir(project), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tail(result, lines: int = 60) -> str:
    """The end of the output, and every pytest failure line before it."""
    output = (result.stdout + result.stderr).splitlines()
    failures = [
        line for line in output if line.lstrip().startswith(("E   ", "FAILED", "ERROR"))
    ]
    return "\n".join([*failures[:80], "...", *output[-lines:]])


def render_all(base: Path) -> dict[str, Path]:
    return {name: render(base / name, **data) for name, data in SCENARIOS.items()}


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """Every scenario rendered once per test session, exactly as generated.

    Only for looking at: nothing may run in these projects, so that what is
    checked here is the rendering itself, not what a session wrote into it.
    """
    return render_all(tmp_path_factory.mktemp("rendered"))


@pytest.fixture(scope="session")
def projects(tmp_path_factory) -> dict[str, Path]:
    """Every scenario rendered again, for running the projects' own sessions."""
    return render_all(tmp_path_factory.mktemp("projects"))
