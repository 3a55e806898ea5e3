"""Ships the service's logs to the object store, so they outlive the container.

Usage: python -m serving.log_shipping [--every SECONDS | --once] [--stage NAME]

The service appends to three logs, opening each per line
(serving/prediction_log.py, serving/feedback.py): predictions, feedback and
inputs. Each round, the shipper moves each file aside (a rename: the next line
starts a new file), waits a moment for a line already on its way, then uploads
every file moved aside as one object and deletes it:

    <log>/<stage>/<YYYY-MM-DD>/<UTC time>-<host>.jsonl   (log: predictions,
                                                         feedback or inputs)

in the bucket the data room uses (DATA_BUCKET, with the AWS_* variables). A
failed upload leaves its file for the next round; a file uploaded but not yet
deleted when the shipper stopped goes up again under the same key, so no line
is counted twice. On SIGTERM (a rollout stopping the container) it ships what
is left before it exits. The drift check and the online evaluation read the
objects back: `nox -s monitor -- --production s3://<bucket>/predictions/production/`,
`nox -s online-eval -- --predictions s3://<bucket>/predictions/
--feedback s3://<bucket>/feedback/`.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.object_store import (
    FEEDBACK_LOG,
    INPUT_LOG,
    PREDICTION_LOG,
    ObjectStore,
    StoreError,
    shipped_piece_key,
)

from .prediction_log import deploy_stage

# Each log's key prefix, and where the service writes it.
LOGS = (
    (PREDICTION_LOG, paths.prediction_log_path),
    (FEEDBACK_LOG, paths.feedback_log_path),
    (INPUT_LOG, paths.input_log_path),
)
# Long enough for a line whose writer opened the file just before the rename.
SETTLE_SECONDS = 1.0
STAMP = "%Y%m%dT%H%M%S%fZ"


def rotate(log: Path, now: datetime) -> Path | None:
    """Move the log aside as `<name>.<UTC time>-<host>.jsonl`; None when empty."""
    if not log.is_file() or log.stat().st_size == 0:
        return None
    name = f"{log.stem}.{now:{STAMP}}-{socket.gethostname()}{log.suffix}"
    moved = log.with_name(name)
    os.replace(log, moved)
    return moved


def moved_aside(log: Path) -> list[Path]:
    """The files waiting to be shipped, oldest first."""
    return sorted(log.parent.glob(f"{log.stem}.*{log.suffix}"))


def segment_key(
    stage: str, log: Path, segment: Path, prefix: str = PREDICTION_LOG
) -> str:
    """The object key of a moved-aside file, from the time in its name."""
    moved = segment.name[len(log.stem) + 1 : -len(log.suffix)]  # <UTC time>-<host>
    day = datetime.strptime(moved.split("-", 1)[0], STAMP).date()
    return shipped_piece_key(prefix, stage, day, moved)


def ship_once(
    log: Path,
    store: ObjectStore,
    stage: str,
    settle: float = SETTLE_SECONDS,
    prefix: str = PREDICTION_LOG,
) -> list[str]:
    """One round: rotate, then upload and delete every file moved aside.
    Returns the keys written; `StoreError` leaves the rest for the next round."""
    if rotate(log, datetime.now(UTC)) is not None:
        time.sleep(settle)
    shipped = []
    for segment in moved_aside(log):
        key = segment_key(stage, log, segment, prefix)
        store.upload(segment, key)
        segment.unlink()
        shipped.append(key)
    return shipped


def ship_all(store: ObjectStore, stage: str) -> list[str]:
    """One round over every log; `StoreError` after trying each of them."""
    shipped, failed = [], None
    for prefix, log_path in LOGS:
        try:
            shipped += ship_once(log_path(), store, stage, prefix=prefix)
        except StoreError as error:
            failed = error
    if failed is not None:
        raise failed
    return shipped


def run(store: ObjectStore, stage: str, every: float) -> None:
    """Ship every ``every`` seconds until SIGTERM or SIGINT, then once more."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while True:
        try:
            for key in ship_all(store, stage):
                print(f"shipped {key}", flush=True)
        except StoreError as error:
            print(f"not all shipped this round, kept on disk: {error}", flush=True)
        if stop.is_set():
            return
        stop.wait(every)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serving.log_shipping", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--every", type=float, default=60.0, help="seconds")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument("--stage", default=deploy_stage(), help="prefix")
    args = parser.parse_args(argv)
    if args.every <= 0:
        parser.error("--every must be a positive number of seconds")
    try:
        store = ObjectStore.from_env()  # refused only for unset variables
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not args.once:
        run(store, args.stage, args.every)
        return 0
    try:
        for key in ship_all(store, args.stage):
            print(f"shipped {key}")
    except StoreError as error:
        print(f"error: {error} (what was not shipped stays on disk)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
