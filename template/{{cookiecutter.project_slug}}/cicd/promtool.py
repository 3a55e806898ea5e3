"""Where the monitoring room's tests find promtool, Prometheus's rule checker.

pip cannot install it; Debian's and Ubuntu's `prometheus` package ships it. When
it is not on PATH (and PROMTOOL names none), it is fetched once with `apt-get
download` (no root needed) and unpacked with `dpkg -x` beside the room
environments: a laptop or a CI runner needs no install, and no Prometheus server
is started. Elsewhere (macOS: `brew install prometheus`) install it yourself.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import room_envs

PACKAGE = "prometheus"


def unpacked() -> Path:
    return room_envs.envs_dir() / "tools" / PACKAGE / "usr" / "bin" / "promtool"


def find_or_fetch(log=print) -> str | None:
    """promtool's path, or None (with the reason logged) where it cannot be had."""
    named = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if named:
        return named
    target = unpacked()
    folder = target.parents[2]  # .../tools/prometheus
    if target.is_file():
        return str(target)
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        log("promtool is not installed and there is no apt-get to fetch it with")
        return None
    folder.parent.mkdir(parents=True, exist_ok=True)
    with room_envs.build_lock(folder), tempfile.TemporaryDirectory() as scratch:
        if target.is_file():  # fetched by another run while this one waited
            return str(target)
        log(f"Fetching promtool (Debian's {PACKAGE} package) into {folder}")
        download = ["apt-get", "download", PACKAGE]
        fetched = subprocess.run(download, cwd=scratch, capture_output=True, text=True)
        debs = sorted(Path(scratch).glob(f"{PACKAGE}_*.deb"))
        if fetched.returncode != 0 or not debs:
            log(f"`apt-get download {PACKAGE}` failed: {fetched.stderr.strip()}")
            return None
        root = Path(scratch) / "root"
        subprocess.run(["dpkg", "-x", str(debs[-1]), str(root)], check=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.move(str(root), str(folder))  # whole, or not at all
    return str(target)
