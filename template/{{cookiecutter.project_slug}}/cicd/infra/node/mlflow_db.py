"""The MLflow server's SQLite database, kept in the object store so that a
rebuilt VM starts with every run and registered model:

    python mlflow_db.py restore DATABASE   # at boot: the last backup, if any
    python mlflow_db.py backup DATABASE    # a consistent copy, uploaded

Reads TRACKER_BUCKET and the standard AWS_* variables (/etc/mlflow/mlflow.env);
`restore` also makes the bucket, which holds the server's artifacts too. It runs
on the tracker VM with the server's own Python (boto3 beside mlflow).
"""

import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

BACKUP_KEY = "database/mlflow.db"
USAGE = "usage: mlflow_db.py restore|backup DATABASE"


def bucket() -> tuple[object, str]:
    return boto3.client("s3"), os.environ["TRACKER_BUCKET"]


def missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey")


def restore(database: Path) -> str:
    """The last backup as ``database``, unless a database is already there."""
    s3, name = bucket()
    try:
        s3.head_bucket(Bucket=name)
    except ClientError:
        s3.create_bucket(Bucket=name)
    if database.exists():
        return f"kept the database at {database}"
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(database.name + ".part")
    try:
        s3.download_file(name, BACKUP_KEY, str(partial))
    except ClientError as error:
        if not missing(error):
            raise
        return f"no backup in {name} yet: the server starts empty"
    partial.replace(database)  # whole or not at all
    return f"restored {database} from s3://{name}/{BACKUP_KEY}"


def backup(database: Path) -> str:
    """A consistent copy of the live database (SQLite's online backup), uploaded."""
    s3, name = bucket()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / database.name
        source, target = sqlite3.connect(database), sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        s3.upload_file(str(copy), name, BACKUP_KEY)
    return f"backed up {database} to s3://{name}/{BACKUP_KEY}"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("restore", "backup"):
        print(USAGE, file=sys.stderr)
        return 2
    command, database = argv[0], Path(argv[1])
    if command == "backup" and not database.is_file():
        print(f"no database at {database}", file=sys.stderr)
        return 2
    print((restore if command == "restore" else backup)(database))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
