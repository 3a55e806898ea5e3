"""One bad /predict request of each kind, with the answer the service must give.

Derived from the contract's input schema, so they hold for any problem: the
body's shape is what the service's guard checks (`serving.guard`). What a
well-shaped field may hold is the problem's own business: the shared package's
tests cover `problem.decode_request`'s refusals. The smoke check sends all of
these to a real server, and so do the tests: each must get its 4xx and a
message saying what is wrong, and the server must keep serving afterwards.
"""

import json
from dataclasses import dataclass
from typing import Any

from ..api_schema import declared_types

# A value of each JSON type, for bodies whose fields only need the right type.
TYPED_VALUES: dict[str, Any] = {
    "string": "x",
    "number": 1.5,
    "integer": 1,
    "boolean": True,
    "object": {},
    "array": [],
    "null": None,
}


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


def typed_value(property_schema: dict[str, Any]) -> Any:
    """Some value of the property's (first) JSON type."""
    types = declared_types(property_schema) or ("string",)
    return TYPED_VALUES.get(types[0], "x")


def wrong_value(property_schema: dict[str, Any]) -> Any:
    """A value of a JSON type the property does not allow."""
    allowed = set(declared_types(property_schema))
    return [] if {"string", "number", "integer"} & allowed else "not the right type"


def bad_requests(schema: dict[str, Any], max_request_bytes: int) -> list[BadRequest]:
    """The bad requests for the input ``schema`` (contracts/input.schema.json):
    a JSON object with required fields and no others, as the contract's are."""
    properties: dict[str, dict[str, Any]] = schema["properties"]
    first = schema["required"][0]
    typed = {name: typed_value(prop) for name, prop in properties.items()}
    without_first = {name: value for name, value in typed.items() if name != first}
    unknown = "_".join(["not", *properties])  # a name the schema cannot hold
    return [
        BadRequest("not_json", b"field=abc", 400, "not valid JSON"),
        BadRequest("empty_body", b"", 400, "empty"),
        BadRequest("not_an_object", _json(list(properties)), 400, "not an object"),
        BadRequest("missing_field", _json(without_first), 400, "missing"),
        BadRequest(
            "unexpected_field", _json({**typed, unknown: "x"}), 400, "unexpected field"
        ),
        BadRequest(
            "wrong_type",
            _json({**typed, first: wrong_value(properties[first])}),
            400,
            "must be a JSON",
        ),
        # A body beyond any valid request: refused while it is being read.
        BadRequest(
            "oversized_body",
            _json({**typed, first: "A" * (max_request_bytes + 1024)}),
            413,
            "larger than",
        ),
    ]
