"""Where the data room keeps things on disk, and how rejected input is kept."""

import json
import re
import shutil
from pathlib import Path, PurePosixPath

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.problem import Example, Rejected

# Characters kept in a quarantined file's name; others become "_".
UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w.\- ]")


def data_root() -> Path:
    return paths.artifacts_dir() / "data"


def quarantine_dir() -> Path:
    """Rejected input, kept under (a safe form of) where it came from."""
    return data_root() / "quarantine"


def scratch_dir() -> Path:
    """Where a new dataset is assembled before it replaces the current one."""
    return data_root() / "build"


def fresh_dir(path: Path) -> Path:
    """An empty directory at ``path``, whatever was there before."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def quarantine_name(origin: str) -> str:
    """A relative file name for ``origin`` that stays inside the quarantine.

    Origins are source-relative paths (``folder/name``) or rows of a file
    (``name:12``); "..", absolute roots and odd characters are dropped so no
    origin can write outside the folder.
    """
    parts = [
        UNSAFE_NAME_CHARACTERS.sub("_", part)
        for part in PurePosixPath(origin.replace("\\", "/")).parts
        if part not in ("/", ".", "..")
    ]
    return "/".join(parts) or "unnamed"


def keep_rejected(rejected: Rejected, folder: Path) -> dict[str, str]:
    """Write ``rejected``'s content under ``folder``; its manifest entry.

    Never overwrites: a second input with the same name gets a ``.1`` suffix.
    The entry names the origin, the reason and the kept file (``kept``,
    relative to the quarantine folder).
    """
    name = quarantine_name(rejected.origin)
    target = folder / name
    copy = 1
    while target.exists():
        target = folder / f"{name}.{copy}"
        copy += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(rejected.content)
    return {**rejected.to_json(), "kept": target.relative_to(folder).as_posix()}


def example_content(example: Example) -> bytes:
    """The bytes to keep of a stored example that no longer loads.

    A file's content for an input stored as a file, else the input itself
    (text as UTF-8, anything else as JSON).
    """
    value = example.input
    if isinstance(value, Path):
        return value.read_bytes() if value.is_file() else b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, default=str).encode("utf-8")
