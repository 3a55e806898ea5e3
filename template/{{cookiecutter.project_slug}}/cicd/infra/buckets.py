"""The object-store buckets of resources.yml, through the S3 API (Chameleon's
object store speaks it; Swift calls a bucket a container) with the standard
AWS_* variables, as the data room and the MLflow server use them.

S3 keeps no mark of who made a bucket, so this tool owns exactly the buckets the
file names (`<project_id>-<name>`), and `down` removes only empty ones: a bucket
that holds objects is someone's data, kept and said so.
"""

from typing import Any

from ..runner import credentials


def client() -> Any:
    """An S3 client from AWS_ENDPOINT_URL and the EC2-style credentials."""
    store = credentials.object_store()
    import boto3  # only in the environment of the commands that reach the cloud

    return boto3.client(
        "s3",
        endpoint_url=store["AWS_ENDPOINT_URL"].value,
        aws_access_key_id=store["AWS_ACCESS_KEY_ID"].value,
        aws_secret_access_key=store["AWS_SECRET_ACCESS_KEY"].value,
    )


def existing(s3: Any, names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Those of ``names`` that exist, each with whether it holds any object."""
    found = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    return {name: {"empty": is_empty(s3, name)} for name in names if name in found}


def is_empty(s3: Any, name: str) -> bool:
    # Not KeyCount: some S3 servers (rclone's) leave it out of the answer.
    return not s3.list_objects_v2(Bucket=name, MaxKeys=1).get("Contents")


def create(s3: Any, name: str) -> None:
    s3.create_bucket(Bucket=name)


def delete(s3: Any, name: str) -> None:
    s3.delete_bucket(Bucket=name)
