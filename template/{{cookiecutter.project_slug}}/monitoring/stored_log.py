"""A service log as its shipper left it in the object store
(serving/log_shipping.py): the objects under an ``s3://BUCKET/PREFIX``, read
back in key order (which is time order) into one local file, for the drift
check (the prediction log) and the online evaluation (predictions and feedback).
"""

from collections.abc import Callable
from datetime import date
from pathlib import Path

from {{ cookiecutter.package_name }}.object_store import (
    ObjectStore,
    StoreError,
    shipped_piece_day,
    split_location,
)

from .records import RecordsError


def written_since(day: date | None) -> Callable[[str], bool]:
    """Whether a piece's key may hold lines written on or after ``day``: the
    shipper files each piece under the day it closed it, which no line in it
    is later than; every key if no day."""

    def keep(key: str) -> bool:
        written = shipped_piece_day(key)
        return day is None or written is None or written >= day

    return keep


def fetch(
    location: str, into: Path, what: str = "prediction log", since: date | None = None
) -> Path:
    """Every log object under ``location`` (from ``since`` on, if given: the
    pieces of earlier days are not even read), concatenated into ``into``."""
    try:
        bucket, prefix = split_location(location)
        store = ObjectStore.from_env(bucket)
        found = store.concatenate(prefix, into, written_since(since))
    except StoreError as error:
        raise RecordsError(f"reading {location}: {error}") from None
    if not found:
        raise RecordsError(
            f"no {what} under {location}: is the shipper running "
            "(python -m serving.log_shipping) with the same bucket?"
        )
    return into
