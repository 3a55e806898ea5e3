"""Every task a member runs, locally and in CI: `nox -l` lists them.

Each room's sessions run in that room's own environment (see cicd/room_envs.py),
so serving never installs the training stack and PyTorch is installed once per
room, not once per session.
"""

import os
import shlex
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from cicd import debian_tools, room_envs  # noqa: E402

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "tests"]

ROOMS = ("data", "training", "serving", "monitoring", "cicd")
SHARED_TESTS = "shared"
SERVICE = "serving.service:Predictor"
SERVE_PORT = "3000"


def room_env() -> dict[str, str]:
    """Variables every room sees: where BentoML{% if cookiecutter.tracker == 'wandb' %} and W&B{% endif %} keep their files."""
    artifacts = Path(os.environ.get("ARTIFACTS_DIR", ROOT / "artifacts"))
    return {
        "ARTIFACTS_DIR": str(artifacts),
        "BENTOML_HOME": os.environ.get("BENTOML_HOME", str(artifacts / "bentoml")),
{%- if cookiecutter.tracker == 'wandb' %}
        "WANDB_DIR": os.environ.get("WANDB_DIR", str(artifacts)),
{%- endif %}
        "PYTHONPATH": str(ROOT),
    }


def run_in(session: nox.Session, room: str, *args: str, **env: str) -> None:
    """Run a program from the room's environment, at the repository root."""
    bin_dir = room_envs.ensure(room, log=session.log)
    program, *rest = args
    session.run(str(bin_dir / program), *rest, env={**room_env(), **env}, external=True)


# Ansible's room environment and the playbook that configures the infra VMs
# after their first boot (cicd/docs/infra.md).
ANSIBLE = "cicd/infra/ansible"
PLAYBOOK = f"{ANSIBLE}/site.yml"


def run_ansible(session: nox.Session, *args: str) -> None:
    """An Ansible program, its environment's programs first on PATH: they call
    each other by name."""
    bin_dir = room_envs.ensure(ANSIBLE, log=session.log)
    path = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])
    run_in(session, ANSIBLE, *args, PATH=path)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check over the whole repository; the Ansible
    playbook's syntax check and lint."""
    run_in(session, "cicd", "ruff", "check", ".")
    run_in(session, "cicd", "ruff", "format", "--check", ".")
    run_ansible(session, "ansible-playbook", "--syntax-check", PLAYBOOK)
    run_ansible(session, "ansible-lint", "--offline", PLAYBOOK)


# Label Studio's environment: the labelling server the data room's tests talk
# to, which `nox -s label-studio` starts on a laptop (data/README.md).
LABEL_STUDIO = "data/label_studio_server"
# The data room's tests that talk to a real Label Studio.
LABEL_STUDIO_TESTS = "data/tests/test_data_label_studio.py"


def label_studio_program(session: nox.Session) -> str:
    return str(room_envs.ensure(LABEL_STUDIO, log=session.log) / "label-studio")


def label_studio_tests_chosen(session: nox.Session, pytest_args: list[str]) -> bool:
    """Whether this run selects the tests that need a real Label Studio, as
    pytest's own collection says (slow ones, a -k or -m of the member's): only
    then is it installed."""
    python = str(room_envs.ensure("data", log=session.log) / "python")
    collect = ("-m", "pytest", "data/tests", "--collect-only", "-q", *pytest_args)
    listed = session.run(
        python,
        *collect,
        env=room_env(),
        external=True,
        silent=True,
        success_codes=[0, 5],  # 5: nothing selected
    )
    return LABEL_STUDIO_TESTS in (listed or "")


# `-- --slow` asks `nox -s tests` for the tests marked slow as well (benchmarks,
# real servers under load); CI (which sets CI=true) always runs them.
SLOW_FLAG = "--slow"
{%- if cookiecutter.tracker == 'wandb' %}
# Tests never upload: a W&B key in the shell must not send test runs to wandb.ai.
TRACKER_TEST_ENV = {"WANDB_MODE": "offline"}
{%- else %}
# Tests never write to the team's server: runs they make go to a local database.
TRACKER_TEST_ENV = {"MLFLOW_TRACKING_URI": ""}
{%- endif %}


def wants_slow_tests(posargs: list[str]) -> bool:
    return SLOW_FLAG in posargs or os.environ.get("CI", "").lower() in ("true", "1")


def marker_selection(posargs: list[str]) -> list[str]:
    """pytest's marker option that leaves the slow tests out, unless they are wanted.

    Chosen here rather than in a conftest.py so that it holds for every room's
    tests alike; a member's own `-m EXPRESSION` is left to pytest.
    """
    if wants_slow_tests(posargs) or "-m" in posargs:
        return []
    return ["-m", "not slow"]


@nox.session
def tests(session: nox.Session) -> None:
    """Each room's tests in its own environment (`nox -s tests -- serving` for one).

    `-- shared` runs only the shared package and contract tests (CI's last job).
    Tests marked slow (benchmarks, real servers under load) are skipped unless
    `-- --slow` is given or the CI variable is set, as on GitHub Actions.
    """
    chosen = [arg for arg in session.posargs if arg in (*ROOMS, SHARED_TESTS)]
    rooms = [arg for arg in chosen if arg in ROOMS] if chosen else list(ROOMS)
    pytest_args = [
        arg for arg in session.posargs if arg not in chosen and arg != SLOW_FLAG
    ]
    pytest_args += marker_selection(session.posargs)
    for room in rooms:
        # The serving benchmark's tests drive traffic with the data room's tool;
        # the alert rules' unit tests run Prometheus's promtool; the labelling
        # tests a Label Studio server, whose install (1 GB) only runs that
        # select them pay.
        extra = {"TRAFFIC_PYTHON": traffic_python()} if room == "serving" else {}
        if room == "monitoring":
            promtool = debian_tools.find_or_fetch("promtool", session.log)
            extra = {"PROMTOOL": promtool or ""}
        # They are slow tests: a run that leaves slow ones out is not asked.
        slow_may_run = not marker_selection(session.posargs)
        if room == "data" and slow_may_run:
            studio = label_studio_tests_chosen(session, pytest_args)
            extra = {"LABEL_STUDIO": label_studio_program(session)} if studio else {}
        run_in(
            session,
            room,
            "python",
            "-m",
            "pytest",
            f"{room}/tests",
            *pytest_args,
            **TRACKER_TEST_ENV,
            **extra,
        )
    if not chosen or SHARED_TESTS in chosen:
        # The shared package and the contract, in the room that has PyTorch.
        run_in(
            session,
            "training",
            "python",
            "-m",
            "pytest",
            "tests",
            *pytest_args,
            **TRACKER_TEST_ENV,
        )


def traffic_python() -> str:
    """The data room's Python, which runs the load generator (data.traffic)."""
    return str(room_envs.ensure("data") / "python")


def run_data(session: nox.Session, args: list[str]) -> None:
    run_in(session, "data", "python", "-m", "data", *(args or ["prepare"]))


def run_train(session: nox.Session, args: list[str]) -> None:
    run_in(session, "training", "python", "-m", "training.train", *args)
    # The same overrides: quality_bar=... must reach the gate evaluate applies.
    run_in(session, "training", "python", "-m", "training.evaluate", *args)


def run_package(
    session: nox.Session, *, build: bool, extra: list[str] | tuple = ()
) -> None:
    command = ("python", "-m", "serving.package", *(["--build"] if build else []))
    run_in(session, "serving", *command, *extra)


@nox.session
def data(session: nox.Session) -> None:
    """Synthetic data by default, `-- ingest PATH [--target NAME]` for your own data."""
    run_data(session, session.posargs)


@nox.session(name="label-studio")
def label_studio(session: nox.Session) -> None:
    """Label Studio on this machine (http://localhost:8080), its data under
    artifacts/label-studio: `-- --username EMAIL --password PASSWORD` makes
    your account on the first start (data/README.md, labelling)."""
    home = Path(room_env()["ARTIFACTS_DIR"]) / "label-studio"
    start = ("start", "--no-browser", "--data-dir", str(home), "--port", "8080")
    run_in(
        session,
        LABEL_STUDIO,
        "label-studio",
        *start,
        *session.posargs,
        LABEL_STUDIO_BASE_DATA_DIR=str(home),
        # `python -m data.labelling push|pull` authenticate with a legacy token.
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
    )


@nox.session
def train(session: nox.Session) -> None:
    """Train (overrides as `-- key=value`), then evaluate offline."""
    run_train(session, session.posargs)


@nox.session
def package(session: nox.Session) -> None:
    """Import the latest model into the store and build the Bento (`-- --gpu`:
    with CUDA PyTorch instead of the CPU build)."""
    run_package(session, build=True, extra=session.posargs)


@nox.session
def serve(session: nox.Session) -> None:
    """Serve the latest trained model on port 3000 (Ctrl-C stops it)."""
    run_package(session, build=False)
    run_in(
        session,
        "serving",
        "bentoml",
        "serve",
        SERVICE,
        "--port",
        SERVE_PORT,
        *session.posargs,
    )


def run_serve_check(session: nox.Session) -> None:
    run_in(session, "serving", "python", "-m", "serving.check", "--service", SERVICE)


@nox.session(name="serve-check")
def serve_check(session: nox.Session) -> None:
    """Start a real `bentoml serve`, send the contract samples, scrape /metrics."""
    run_serve_check(session)


@nox.session(name="bench-serve")
def bench_serve(session: nox.Session) -> None:
    """Serving options table: variants in process and served, -> reports/."""
    run_package(session, build=False)
    run_in(
        session,
        "serving",
        "python",
        "-m",
        "serving.bench",
        "--traffic-python",
        traffic_python(),
        *session.posargs,
    )


@nox.session(name="bench-train")
def bench_train(session: nox.Session) -> None:
    """Training loop overhead, data loading and time-to-accuracy -> reports/."""
    run_in(
        session,
        "training",
        "python",
        "-m",
        "training.bench",
        *session.posargs,
        TRACKING_MODE="off",  # benchmark runs are measurements, not experiments
    )


@nox.session
def registry(session: nox.Session) -> None:
    """The model registry: `-- show`, `-- promote VERSION ALIAS`, `-- download ALIAS`"""
    run_in(session, "training", "python", "-m", "training.registry", *session.posargs)


@nox.session
def compare(session: nox.Session) -> None:
    """A candidate against production's model on the same held-out data:
    `-- --production PATH|--production-alias ALIAS --candidate PATH`"""
    run_in(session, "training", "python", "-m", "training.compare", *session.posargs)


@nox.session
def monitor(session: nox.Session) -> None:
    """Compare production inputs and predictions with the training reference."""
    run_in(session, "monitoring", "python", "-m", "monitoring.drift", *session.posargs)


@nox.session(name="online-eval")
def online_eval(session: nox.Session) -> None:
    """Quality per stage over time, from the feedback on served predictions."""
    command = ("python", "-m", "monitoring.online_eval")
    run_in(session, "monitoring", *command, *session.posargs)


@nox.session(name="canary-gate")
def canary_gate(session: nox.Session) -> None:
    """Promote or roll back: `-- --canary URL --production URL [--window SECONDS]`"""
    gate = ("python", "-m", "monitoring.canary_gate")
    run_in(session, "monitoring", *gate, *session.posargs)


@nox.session
def traffic(session: nox.Session) -> None:
    """Production-like traffic with feedback to a served model: `-- --url URL
    [--hours 24] [--hour-seconds 0.5] ...` (data/production_traffic.py)."""
    command = ("python", "-m", "data.production_traffic")
    run_in(session, "data", *command, *session.posargs)


@nox.session
def operate(session: nox.Session) -> None:
    """The production loop on one machine: serve, a day of traffic with
    feedback, online evaluation and drift, retrain, compare, canary, promote or
    keep -> reports/operation.md (`-- --help`; cicd/docs/operate.md)."""
    run_in(session, "cicd", "python", "-m", "cicd.operate", *session.posargs)


@nox.session
def deploy(session: nox.Session) -> None:
    """The Kubernetes manifests: `-- render staging|canary|production`,
    `-- validate`, `-- record ENV --image IMAGE --model-version VERSION`,
    `-- copy FROM TO`, `-- show ENV`; and the cluster: `-- wait ENV`,
    `-- forward ENV=PORT ... -- COMMAND` (cicd/docs/kubernetes.md)."""
    asks_cluster = session.posargs[:1] in (["wait"], ["forward"])
    module = "cicd.cluster" if asks_cluster else "cicd.manifests"
    run_in(session, "cicd", "python", "-m", module, *session.posargs)


@nox.session
def runner(session: nox.Session) -> None:
    """GPU runners on Chameleon: `-- plan|up|down|status|gc` (cicd/docs/runners.md)."""
    args = session.posargs or ["plan"]
    # `plan` is a dry run and needs no cloud client; the others need python-chi.
    room = "cicd" if args[0] in ("plan", "-h", "--help") else "cicd/runner"
    run_in(session, room, "python", "-m", "cicd.runner", *args)


@nox.session
def infra(session: nox.Session) -> None:
    """The team's Chameleon resources as code: `-- plan|up|down|status|inventory`,
    and `-- configure` (Ansible) once they are up (cicd/docs/infra.md)."""
    args = session.posargs or ["plan"]
    if args[0] == "configure":
        configure(session, args[1:])
        return
    # A plan without credentials (from nothing) needs no cloud client; the rest do.
    offline = args[0] in ("-h", "--help") or (
        args[0] == "plan"
        and not os.environ.get("OS_APPLICATION_CREDENTIAL_SECRET")
        and not os.environ.get("AWS_SECRET_ACCESS_KEY")
    )
    room = "cicd" if offline else "cicd/runner"
    run_in(session, room, "python", "-m", "cicd.infra", *args)


@nox.session(name="github-setup")
def github_setup(session: nox.Session) -> None:
    """The repository's GitHub settings as the template wants them: `[-- --dry-run]`
    (cicd/docs/github.md)."""
    run_in(session, "cicd", "python", "-m", "cicd.github_setup", *session.posargs)


def configure(session: nox.Session, ansible_args: list[str]) -> None:
    """cicd/infra/ansible/site.yml over the VMs `up` made."""
    inventory = str(Path(room_env()["ARTIFACTS_DIR"]) / "infra" / "inventory.json")
    infra_cli = ("python", "-m", "cicd.infra", "inventory", "--output", inventory)
    run_in(session, "cicd/runner", *infra_cli)
    run_ansible(session, "ansible-playbook", "-i", inventory, PLAYBOOK, *ansible_args)


@nox.session
def pipeline(session: nox.Session) -> None:
    """data -> train -> evaluate -> package -> serve -> samples and feedback ->
    metrics -> drift -> online evaluation."""
    run_data(session, [])
    run_train(session, [])
    run_package(session, build=True)
    run_serve_check(session)
    run_in(session, "monitoring", "python", "-m", "monitoring.drift")
    run_in(session, "monitoring", "python", "-m", "monitoring.online_eval")
    run_in(session, "cicd", "python", "-m", "cicd.summary")


@nox.session
def demo(session: nox.Session) -> None:
    """Every check of a milestone and its report: `-- initial|system|operation`."""
    if not session.posargs:
        session.error("name the milestone: nox -s demo -- initial|system|operation")
    # The checks run nox sessions themselves, with this very nox and noxfile.
    nox_command = shlex.join(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py")]
    )
    run_in(
        session,
        "cicd",
        "python",
        "-m",
        "cicd.course.demo",
        *session.posargs,
        "--nox",
        nox_command,
    )


@nox.session
def release(session: nox.Session) -> None:
    """CI only (demo.yml): publish a demo report as its tag's GitHub Release."""
    run_in(session, "cicd", "python", "-m", "cicd.course.release", *session.posargs)
