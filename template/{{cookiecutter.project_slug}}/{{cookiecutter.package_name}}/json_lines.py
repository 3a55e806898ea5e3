"""The service's logs (predictions, feedback, served inputs) are JSON lines, read
back by the data and monitoring rooms: one parser, which skips any line that is
not a JSON object (a line cut short by a crash, a stray print)."""

import json
from typing import Any


def parse(text: str) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of a log's text, and how many non-blank lines were not one."""
    records, skipped = [], 0
    for line in filter(str.strip, text.splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            records.append(record)
        else:
            skipped += 1
    return records, skipped
