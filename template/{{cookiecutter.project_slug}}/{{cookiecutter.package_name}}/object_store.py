"""The team's object store, through the S3 API (Chameleon's object store, or any
S3-compatible server): the data room's dataset versions, the service's
prediction log, the drift check's reading of it. Needs boto3, which the data,
serving and monitoring rooms install (no other room imports this module).

Settings are the standard variables, so boto3, rclone and the AWS CLI all read
the same ones: ``AWS_ENDPOINT_URL`` (the store's address),
``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (on Chameleon, EC2-style
credentials: see data/README.md), and ``AWS_DEFAULT_REGION`` when the store
wants one. ``DATA_BUCKET`` names the bucket (Swift calls it a container);
by default `DEFAULT_BUCKET`, which carries the project id.
"""

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

DEFAULT_BUCKET = "{{ cookiecutter.project_id }}-data"
# How a stored location is written on command lines: s3://BUCKET/PREFIX.
SCHEME = "s3://"
CREDENTIALS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
# Swift's S3 layer takes any region name; SigV4 needs one.
FALLBACK_REGION = "us-east-1"


class StoreError(RuntimeError):
    """The store cannot do what was asked; the message says why and what to do."""


def missing_settings() -> list[str]:
    return [name for name in CREDENTIALS if not os.environ.get(name)]


def is_location(text: str) -> bool:
    return text.startswith(SCHEME)


def split_location(location: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://BUCKET/PREFIX``; `StoreError` without a bucket."""
    bucket, _, prefix = location.removeprefix(SCHEME).partition("/")
    if not bucket:
        raise StoreError(f"{location} names no bucket: use s3://BUCKET/PREFIX")
    return bucket, prefix


# The service's logs, by the key prefix its shipper stores them under
# (serving/log_shipping.py); the data and monitoring rooms read them back.
PREDICTION_LOG = "predictions"
FEEDBACK_LOG = "feedback"
INPUT_LOG = "inputs"


def default_bucket() -> str:
    return os.environ.get("DATA_BUCKET") or DEFAULT_BUCKET


def shipped_log_prefix(log: str, stage: str) -> str:
    """Where serving/log_shipping.py keeps one deploy stage's pieces of a log
    (`PREDICTION_LOG`, `FEEDBACK_LOG` or `INPUT_LOG`), which the other rooms
    read back."""
    return f"{log}/{stage}/"


def shipped_log_location(log: str, stage: str) -> str:
    """``s3://BUCKET/LOG/STAGE/`` in the bucket the variables name."""
    return f"{SCHEME}{default_bucket()}/{shipped_log_prefix(log, stage)}"


def shipped_piece_key(log: str, stage: str, day: date, piece: str) -> str:
    """The key of one shipped piece of a log: ``LOG/STAGE/YYYY-MM-DD/PIECE.jsonl``,
    under the UTC day the piece was closed, so no line in it is of a later day."""
    return f"{shipped_log_prefix(log, stage)}{day.isoformat()}/{piece}.jsonl"


def shipped_piece_day(key: str) -> date | None:
    """The day in a shipped piece's key (`shipped_piece_key`), or None."""
    match = re.search(r"/(\d{4}-\d{2}-\d{2})/[^/]*$", key)
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


@dataclass
class ObjectStore:
    """One bucket of the store: put, get, test and list objects by key."""

    client: Any  # a boto3 S3 client
    bucket: str

    @classmethod
    def from_env(cls, bucket: str | None = None) -> "ObjectStore":
        """The store the variables name (``bucket``, else DATA_BUCKET's);
        `StoreError` saying which variables are unset."""
        missing = missing_settings()
        if missing:
            raise StoreError(
                f"set {', '.join(missing)} to reach the object store (data/README.md "
                "shows how to get Chameleon's EC2 credentials)"
            )
        import boto3
        from botocore.config import Config

        # A session of its own: boto3's default one keeps the first credentials
        # it read for the life of the process, whatever the variables say later.
        client = boto3.session.Session().client(
            "s3",
            region_name=os.environ.get("AWS_DEFAULT_REGION") or FALLBACK_REGION,
            # Path-style addresses (endpoint/bucket/key): what Swift and rclone serve.
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
        return cls(client, bucket or default_bucket())

    def _call(self, action: str, method: str, **arguments: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "?")
            raise StoreError(f"{action} in bucket {self.bucket}: {code}") from None
        except BotoCoreError as error:
            raise StoreError(f"{action}: {error}") from None

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._call("creating the bucket", "create_bucket")

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                return False
            raise StoreError(f"checking {key}: {error}") from None
        return True

    def upload(self, path: Path, key: str) -> None:
        with path.open("rb") as body:
            self._call(f"uploading {key}", "put_object", Key=key, Body=body)

    def download(self, key: str, path: Path) -> None:
        from botocore.exceptions import BotoCoreError

        answer = self._call(f"downloading {key}", "get_object", Key=key)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("wb") as out:
                for chunk in answer["Body"].iter_chunks(1 << 20):
                    out.write(chunk)
        except BotoCoreError as error:  # e.g. fewer bytes than the store announced
            raise StoreError(f"downloading {key}: {error}") from None

    def put_json(self, key: str, document: dict[str, Any]) -> None:
        body = (json.dumps(document, indent=2) + "\n").encode()
        self._call(f"writing {key}", "put_object", Key=key, Body=body)

    def read(self, key: str) -> bytes:
        """A small object's whole content (a large one: `download`)."""
        from botocore.exceptions import BotoCoreError

        answer = self._call(f"reading {key}", "get_object", Key=key)
        try:
            return answer["Body"].read()
        except BotoCoreError as error:
            raise StoreError(f"reading {key}: {error}") from None

    def get_json(self, key: str) -> dict[str, Any]:
        return json.loads(self.read(key))

    def concatenate(
        self, prefix: str, into: Path, keep: Callable[[str], bool] | None = None
    ) -> int:
        """Every JSON-lines object under ``prefix`` (whose key ``keep`` takes,
        if given), in key order (for a shipped log, time order), written one
        after another into ``into``; how many."""
        keys = [
            key
            for key in self.keys(prefix)
            if key.endswith(".jsonl") and (keep is None or keep(key))
        ]
        into.parent.mkdir(parents=True, exist_ok=True)
        with into.open("wb") as out:
            for key in keys:
                out.write(self.read(key))
        return len(keys)

    def keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, in order."""
        keys: list[str] = []
        token: dict[str, str] = {}
        while True:
            page = self._call("listing", "list_objects_v2", Prefix=prefix, **token)
            keys += [item["Key"] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return keys
            token = {"ContinuationToken": page["NextContinuationToken"]}
