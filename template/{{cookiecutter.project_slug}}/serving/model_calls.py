"""Calls from the batched front service to its model service, sent again when
the connection they went out on had gone stale.

BentoML's client between the two services reuses keep-alive connections the
model service may already have closed, which fails the call with "Server
disconnected" or "Cannot write to closing transport" (bentoml/BentoML#3669,
#4971), or, closed while the answer is read, with aiohttp's bare
RuntimeError("Connection closed."). Inference has no side effects, so the call
is simply sent again. A module of its own so that it imports without a model
in the store (`serving.batched_service` needs one).
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

CALL_ATTEMPTS = 3
Result = TypeVar("Result")


def stale_connection(error: BaseException) -> bool:
    """Whether ``error`` is one of the closed keep-alive failures above."""
    return isinstance(error, aiohttp.ClientConnectionError) or (
        type(error) is RuntimeError and str(error) == "Connection closed."
    )


async def call_again_if_stale(call: Callable[[], Awaitable[Result]]) -> Result:
    """``await call()``, made anew up to `CALL_ATTEMPTS` times on a stale connection."""
    for _ in range(CALL_ATTEMPTS - 1):
        try:
            return await call()
        except (aiohttp.ClientConnectionError, RuntimeError) as error:
            if not stale_connection(error):
                raise
            # A stale connection: the next attempt opens a new one.
    return await call()
