"""One bad /predict request of each kind, with the answer the service must give.

The smoke check sends all of them to a real server, and so do the tests: each
must get its 4xx and a message saying what is wrong, and the server must keep
serving afterwards.
"""

import base64
import json
from dataclasses import dataclass

from {{ cookiecutter.package_name }}.contract import MAX_IMAGE_FIELD_CHARS


@dataclass(frozen=True)
class BadRequest:
    kind: str
    body: bytes
    status: int
    # A fragment the answer's "error" message must contain.
    message: str
    content_type: str = "application/json"


def _json(payload: object) -> bytes:
    return json.dumps(payload).encode()


def bad_requests() -> list[BadRequest]:
    not_an_image = base64.b64encode(b"plain text, not a JPEG").decode()
    return [
        BadRequest("not_json", b"image=abc", 400, "not valid JSON"),
        BadRequest("empty_body", b"", 400, "empty"),
        BadRequest("not_an_object", _json(["image"]), 400, "not an object"),
        BadRequest("missing_field", _json({"photo": "abc"}), 400, "missing"),
        BadRequest(
            "unexpected_field",
            _json({"image": not_an_image, "user": "x"}),
            400,
            "unexpected field",
        ),
        BadRequest("wrong_type", _json({"image": 42}), 400, "must be a string"),
        BadRequest("not_base64", _json({"image": "not base64!"}), 400, "base64"),
        BadRequest("not_an_image", _json({"image": not_an_image}), 400, "not an image"),
        # Just over the 4 MiB an image may decode to: the contract refuses it.
        BadRequest(
            "oversized_image",
            _json({"image": "A" * (MAX_IMAGE_FIELD_CHARS + 4)}),
            400,
            "too large",
        ),
        # A body far beyond any valid request: refused while it is being read.
        BadRequest(
            "oversized_body",
            _json({"image": "A" * (8 * 1024 * 1024)}),
            413,
            "larger than",
        ),
    ]
