"""`python -m data prepare`: the synthetic dataset, checked, split and hashed."""

from typing import Any

from {{ cookiecutter.package_name }} import problem

from .dataset import Provenance, make_dataset

DEFAULT_COUNT = problem.DEFAULT_SYNTHETIC_COUNT
DEFAULT_SEED = 42


def prepare(
    count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED, corrupt: int = 0
) -> dict[str, Any]:
    """Generate, split and publish the synthetic dataset; the manifest.

    ``count`` examples per class (classification) or rows (regression); the
    ``corrupt`` unusable inputs the generator adds are quarantined, never fatal.
    The same seed gives the same dataset, byte for byte.
    """
    if corrupt < 0:
        raise ValueError(f"corrupt must be 0 or more, got {corrupt}")
    source = problem.synthetic_source(count, seed, corrupt)
    provenance = Provenance("synthetic", seed, {"count": count, "corrupt": corrupt})
    return make_dataset(source, provenance, seed)
