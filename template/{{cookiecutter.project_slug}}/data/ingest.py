"""`python -m data ingest PATH`: the team's own data, in the problem's source format.

What PATH may be (a file, a folder, which layout) is the problem's to say: see
`problem.read_source`'s docstring in the shared package. Everything unusable
in it is quarantined and counted, never fatal; a source that cannot be used
at all (no such path, one class only, no target column) is refused with the
reason. Splits the source gives every example are kept, otherwise seeded ones
made. PATH itself is only read.
"""

from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.problem import ProblemDataError

from .dataset import Provenance, make_dataset
from .prepare import DEFAULT_SEED

DEFAULT_TARGET = "target"


def ingest(
    path: Path, target: str = DEFAULT_TARGET, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """Read, check, split and publish the examples at ``path``; the manifest.

    ``target`` names the predicted column of a table (regression); ``seed``
    makes the splits when the source has none.
    """
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise ProblemDataError(f"{path}: no such file or folder")
    source = problem.read_source(path, target)
    options = {"path": str(path)}
    if not source.spec.classification:
        options["target"] = target
    return make_dataset(source, Provenance("ingested", seed, options), seed)
