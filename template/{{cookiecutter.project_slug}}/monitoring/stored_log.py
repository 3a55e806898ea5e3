"""A service log as its shipper left it in the object store
(serving/log_shipping.py): the objects under an ``s3://BUCKET/PREFIX``, read
back in key order (which is time order) into one local file, for the drift
check (the prediction log) and the online evaluation (predictions and feedback).
"""

from pathlib import Path

from {{ cookiecutter.package_name }}.object_store import ObjectStore, StoreError

from .records import RecordsError

SCHEME = "s3://"


def is_stored(location: str) -> bool:
    return location.startswith(SCHEME)


def fetch(location: str, into: Path, what: str = "prediction log") -> Path:
    """Every log object under ``location``, concatenated into ``into``."""
    bucket, _, prefix = location.removeprefix(SCHEME).partition("/")
    if not bucket:
        raise RecordsError(f"{location} names no bucket: use s3://BUCKET/PREFIX")
    try:
        store = ObjectStore.from_env(bucket)
        keys = [key for key in store.keys(prefix) if key.endswith(".jsonl")]
        if not keys:
            raise RecordsError(
                f"no {what} under {location}: is the shipper running "
                "(python -m serving.log_shipping) with the same bucket?"
            )
        into.parent.mkdir(parents=True, exist_ok=True)
        with into.open("wb") as out:
            for key in keys:
                out.write(store.read(key))
    except StoreError as error:
        raise RecordsError(f"reading {location}: {error}") from None
    return into
