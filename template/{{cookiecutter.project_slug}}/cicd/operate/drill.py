"""A drill changes the team's dataset for one candidate (`--drill
shuffled-labels`); these put it back as it was, whatever the run's outcome."""

import shutil
from pathlib import Path


def keep(folder: Path, copy: Path) -> None:
    """A copy of ``folder`` (the dataset, its manifest and quarantine)."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)


def restore(copy: Path, folder: Path) -> None:
    """``folder`` as it was when ``copy`` was kept."""
    shutil.rmtree(folder)
    copy.rename(folder)
