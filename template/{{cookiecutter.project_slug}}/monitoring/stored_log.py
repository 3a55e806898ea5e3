"""A service log as its shipper left it in the object store
(serving/log_shipping.py): the objects under an ``s3://BUCKET/PREFIX``, read
back in key order (which is time order) into one local file, for the drift
check (the prediction log) and the online evaluation (predictions and feedback).
"""

from pathlib import Path

from {{ cookiecutter.package_name }}.object_store import (
    ObjectStore,
    StoreError,
    split_location,
)

from .records import RecordsError


def fetch(location: str, into: Path, what: str = "prediction log") -> Path:
    """Every log object under ``location``, concatenated into ``into``."""
    try:
        bucket, prefix = split_location(location)
        found = ObjectStore.from_env(bucket).concatenate(prefix, into)
    except StoreError as error:
        raise RecordsError(f"reading {location}: {error}") from None
    if not found:
        raise RecordsError(
            f"no {what} under {location}: is the shipper running "
            "(python -m serving.log_shipping) with the same bucket?"
        )
    return into
