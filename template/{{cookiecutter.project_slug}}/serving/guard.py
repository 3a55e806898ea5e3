"""Refuse malformed /predict requests before BentoML parses them.

BentoML would read any body into memory and answer schema errors with pydantic's
generic wording. This ASGI middleware caps the body size while reading it (413),
and checks the body is a JSON object holding exactly a string ``image`` (400),
each with a message that says what is wrong. What the string holds (base64, an
image, its size) the shared contract checks inside the service.

A checked body goes on as JSON whatever Content-Type the client declared
(``curl -d`` and urllib send form encoding by default, which BentoML would parse
as a multipart form).
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from {{ cookiecutter.package_name }}.contract import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_FIELD_CHARS,
    ContractError,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The largest allowed image field plus room for the JSON around it.
MAX_BODY_BYTES = MAX_IMAGE_FIELD_CHARS + 64 * 1024
# A too-large body is read and dropped up to this size before the 413 goes out:
# a client still sending when the server answers sees a reset, not the answer.
# Beyond it the connection is cut without reading the rest.
MAX_DRAINED_BYTES = 64 * 1024 * 1024
REQUEST_SHAPE = 'a JSON object like {"image": "<base64-encoded JPEG>"}'


class RequestRefused(Exception):
    """Answer with ``status`` and ``message`` instead of serving the request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_predict_body(body: bytes) -> None:
    """Raise `ContractError` unless ``body`` is a JSON object with a string image."""
    if not body.strip():
        raise ContractError(f"the request body is empty; send {REQUEST_SHAPE}")
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise ContractError(
            f"the request body is not valid JSON ({error}); send {REQUEST_SHAPE}"
        ) from None
    if not isinstance(payload, dict):
        raise ContractError(
            f"the request body is JSON but not an object; send {REQUEST_SHAPE}"
        )
    if "image" not in payload:
        raise ContractError(f"missing required field 'image'; send {REQUEST_SHAPE}")
    unexpected = sorted(set(payload) - {"image"})
    if unexpected:
        names = ", ".join(repr(name) for name in unexpected)
        raise ContractError(
            f"unexpected field(s) {names}; the request holds only 'image'"
        )
    if not isinstance(payload["image"], str):
        kind = type(payload["image"]).__name__
        raise ContractError(
            f"'image' must be a string holding a base64-encoded JPEG, not {kind}"
        )


class PredictRequestGuard:
    """ASGI middleware guarding POST ``path``; every other request passes through."""

    def __init__(
        self, app: ASGIApp, path: str = "/predict", max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.path = path
        self.max_body_bytes = max_body_bytes

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
            check_predict_body(body)
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
            f"the request body is larger than {self.max_body_bytes} bytes; "
            f"an image may be at most {MAX_IMAGE_BYTES} bytes",
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
