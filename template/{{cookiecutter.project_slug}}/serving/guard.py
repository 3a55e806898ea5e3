"""Refuse malformed /predict requests before BentoML parses them.

BentoML would read any body into memory and answer schema errors with pydantic's
generic wording. This ASGI middleware caps the body size while reading it (413),
and checks the body against the top level of the contract's input schema
(`problem.input_schema`): a JSON object, every required field there, no field
the schema does not name, each field of its JSON type (400), each with a
message that says what is wrong. What a field holds (a valid encoding, a known
feature, a value in range) the problem's `decode_request` checks inside the
service.

A checked body goes on as JSON whatever Content-Type the client declared
(``curl -d`` and urllib send form encoding by default, which BentoML would parse
as a multipart form).
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from {{ cookiecutter.package_name }}.spec import ContractError

from .api_schema import declared_types, has_declared_type, json_type

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# A too-large body is read and dropped up to this size before the 413 goes out:
# a client still sending when the server answers sees a reset, not the answer.
# Beyond it the connection is cut without reading the rest.
MAX_DRAINED_BYTES = 64 * 1024 * 1024
# How the request shape in messages shows a value of each JSON type.
PLACEHOLDERS = {"string": '"..."', "object": "{...}", "array": "[...]"}


class RequestRefused(Exception):
    """Answer with ``status`` and ``message`` instead of serving the request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _quoted(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


@dataclass(frozen=True)
class BodyRules:
    """The top level of a request schema: its fields, which are required, and
    whether fields it does not name are refused."""

    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    closed: bool

    @classmethod
    def from_schema(cls, schema: dict[str, Any]) -> "BodyRules":
        return cls(
            properties=dict(schema.get("properties", {})),
            required=tuple(schema.get("required", ())),
            closed=schema.get("additionalProperties", True) is False,
        )

    def shape(self) -> str:
        """E.g. ``a JSON object like {"note": "..."}``, for messages."""
        fields = []
        for name, property_schema in self.properties.items():
            types = declared_types(property_schema) or ("string",)
            fields.append(f'"{name}": {PLACEHOLDERS.get(types[0], types[0])}')
        return "a JSON object like {" + ", ".join(fields) + "}"

    def check_fields(self, payload: dict[str, Any]) -> None:
        """`ContractError` for a missing, unknown or mistyped top-level field."""
        missing = [name for name in self.required if name not in payload]
        if missing:
            noun = "field" if len(missing) == 1 else "fields"
            raise ContractError(
                f"missing required {noun} {_quoted(missing)}; send {self.shape()}"
            )
        unexpected = sorted(set(payload) - set(self.properties))
        if unexpected and self.closed:
            raise ContractError(
                f"unexpected field(s) {_quoted(unexpected)}; the request holds "
                f"only {_quoted(list(self.properties))}"
            )
        for name, property_schema in self.properties.items():
            if name in payload and not has_declared_type(
                payload[name], property_schema
            ):
                allowed = " or ".join(declared_types(property_schema))
                description = property_schema.get("description")
                raise ContractError(
                    f"'{name}' must be a JSON {allowed}, not "
                    f"{json_type(payload[name])}"
                    + (f": {description}" if description else "")
                )


def check_predict_body(body: bytes, rules: BodyRules) -> None:
    """Raise `ContractError` unless ``body`` is a JSON object ``rules`` accept."""
    if not body.strip():
        raise ContractError(f"the request body is empty; send {rules.shape()}")
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise ContractError(
            f"the request body is not valid JSON ({error}); send {rules.shape()}"
        ) from None
    if not isinstance(payload, dict):
        raise ContractError(
            f"the request body is JSON but not an object; send {rules.shape()}"
        )
    rules.check_fields(payload)


class PredictRequestGuard:
    """ASGI middleware guarding POST ``path``; every other request passes through.

    ``schema`` is the request's JSON Schema and ``max_body_bytes`` the largest
    body read (the problem's ``MAX_REQUEST_BYTES``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        schema: dict[str, Any],
        max_body_bytes: int,
        path: str = "/predict",
    ) -> None:
        self.app = app
        self.rules = BodyRules.from_schema(schema)
        self.max_body_bytes = max_body_bytes
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/") == self.path
        )
        if not guarded:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read_body(scope, receive)
            check_predict_body(body, self.rules)
        except RequestRefused as refused:
            await _send_error(send, refused.status, refused.message)
            return
        except ContractError as error:
            await _send_error(send, 400, str(error))
            return
        except ConnectionAbortedError:
            return  # the client went away; nobody to answer

        replayed = False

        async def replay() -> Message:
            # The checked body once, then whatever the server sends (disconnect).
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
        headers.append((b"content-type", b"application/json"))
        await self.app({**scope, "headers": headers}, replay, send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        too_large = RequestRefused(
            413,
            f"the request body is larger than {self.max_body_bytes} bytes, "
            "the most /predict reads (contracts/input.schema.json says what a "
            "request holds)",
        )
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > MAX_DRAINED_BYTES:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionAbortedError
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= self.max_body_bytes:
                chunks.append(chunk)
            elif chunks:
                chunks.clear()  # keep reading to the end, but keep nothing
            if size > MAX_DRAINED_BYTES:
                raise too_large
            if not message.get("more_body", False):
                break
        if size > self.max_body_bytes:
            raise too_large
        return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1").strip()
    return ""


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
