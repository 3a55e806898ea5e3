"""Run one deliverable's check and say, in a sentence, why it failed.

Sessions and test selections run through nox exactly as a member would type
them (`nox -s train`, `nox -s tests -- training -k evaluate`); their output goes
to a log file next to the report. File checks need no process at all.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from {{ cookiecutter.package_name }} import paths

from cicd.course.milestones import Deliverable

LOG_TAIL_LINES = 15


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reason: str  # empty when passed
    log: Path | None = None  # the check's output, for session and tests checks


def nox_arguments(deliverable: Deliverable) -> list[str]:
    if deliverable.kind == "session":
        posargs = list(deliverable.args)
        return ["-s", deliverable.target, *(["--", *posargs] if posargs else [])]
    select = ["-k", deliverable.select] if deliverable.select else []
    return ["-s", "tests", "--", deliverable.target, *select]


def tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_nox(
    deliverable: Deliverable, nox_command: list[str], log: Path, root: Path
) -> Outcome:
    command = [*nox_command, *nox_arguments(deliverable)]
    log.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        command, cwd=root, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    log.write_text(f"$ {' '.join(command)}\n{output}", encoding="utf-8")
    if result.returncode == 0:
        return Outcome(True, "", log)
    return Outcome(
        False,
        f"`{deliverable.describe()}` exited with code {result.returncode}; "
        f"last lines:\n{tail(output)}",
        log,
    )


def check_file(deliverable: Deliverable, root: Path) -> Outcome:
    path = root / deliverable.target
    if not path.is_file():
        return Outcome(False, f"`{deliverable.target}` does not exist")
    text = path.read_text(encoding="utf-8", errors="replace")
    missing = [needed for needed in deliverable.contains if needed not in text]
    if missing:
        listed = ", ".join(f"`{needed}`" for needed in missing)
        return Outcome(False, f"`{deliverable.target}` lacks {listed}")
    return Outcome(True, "")


def check_evidence(
    deliverable: Deliverable, root: Path, started: float
) -> Outcome | None:
    """A passing session must also leave the evidence it promises, freshly."""
    if not deliverable.evidence:
        return None
    path = root / deliverable.evidence
    if not path.is_file():
        return Outcome(False, f"the check passed but wrote no `{deliverable.evidence}`")
    if deliverable.kind == "session" and path.stat().st_mtime < started:
        # A session that stopped writing its artifact must not pass on an old one.
        return Outcome(
            False,
            f"the check passed but left `{deliverable.evidence}` from an earlier run",
        )
    return None


def run(
    deliverable: Deliverable,
    nox_command: list[str],
    log: Path,
    root: Path = paths.REPO_ROOT,
) -> Outcome:
    started = time.time()
    if deliverable.kind == "file":
        outcome = check_file(deliverable, root)
    else:
        outcome = run_nox(deliverable, nox_command, log, root)
    if outcome.passed:
        return check_evidence(deliverable, root, started) or outcome
    return outcome
