"""Programs pip cannot install, taken from Debian's packages without root.

Prometheus's `promtool` (package prometheus: the monitoring room's alert-rule
tests), `prometheus` itself (the same package: the retraining trigger's tests
ask a real server for its firing alerts) and `kubectl` (package
kubernetes-client: rendering the Kubernetes manifests with its built-in
kustomize). When a program is not on PATH (and its variable, e.g. PROMTOOL or
KUBECTL, names none), its package is fetched once with `apt-get download` (no
root needed) and unpacked with `dpkg -x` beside the room environments: a laptop
or a CI runner needs no install. Elsewhere (macOS: `brew install prometheus
kubectl`) install them yourself.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import room_envs

# program -> the Debian package that ships it
PACKAGES = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "kubectl": "kubernetes-client",
}


def unpacked(program: str) -> Path:
    return room_envs.envs_dir() / "tools" / PACKAGES[program] / "usr" / "bin" / program


def find_or_fetch(program: str, log=print) -> str | None:
    """The program's path, or None (with the reason logged) where it cannot be had."""
    named = os.environ.get(program.upper()) or shutil.which(program)
    if named:
        return named
    package = PACKAGES[program]
    target = unpacked(program)
    folder = target.parents[2]  # .../tools/<package>
    if target.is_file():
        return str(target)
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        log(f"{program} is not installed and there is no apt-get to fetch it with")
        return None
    folder.parent.mkdir(parents=True, exist_ok=True)
    with room_envs.build_lock(folder), tempfile.TemporaryDirectory() as scratch:
        if target.is_file():  # fetched by another run while this one waited
            return str(target)
        log(f"Fetching {program} (Debian's {package} package) into {folder}")
        download = ["apt-get", "download", package]
        fetched = subprocess.run(download, cwd=scratch, capture_output=True, text=True)
        debs = sorted(Path(scratch).glob(f"{package}_*.deb"))
        if fetched.returncode != 0 or not debs:
            log(f"`apt-get download {package}` failed: {fetched.stderr.strip()}")
            return None
        root = Path(scratch) / "root"
        subprocess.run(["dpkg", "-x", str(debs[-1]), str(root)], check=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.move(str(root), str(folder))  # whole, or not at all
    return str(target)
