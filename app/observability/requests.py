"""The outermost ASGI layer: a request id for every request (echoed as X-Request-ID and
put on every log line), and the request metrics, for the fast layer and FastAPI alike."""

from __future__ import annotations

import logging
from random import getrandbits
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import request_id
from app.observability.metrics import Metrics

log = logging.getLogger("app.requests")

_HEADER = b"x-request-id"


def echoed_id(value: bytes) -> bytes | None:
    """An X-Request-ID value as it is echoed, or None when it is not id-like: only an id-like
    value is echoed, so nothing a caller sends reaches the logs raw."""
    if value.isascii():
        # The common case, without decoding: ASCII is alphanumeric alike as bytes and text.
        if 0 < len(value) <= 64 and value.replace(b"-", b"").isalnum():
            return value
        return None
    text = value.decode("latin-1")
    if 0 < len(text) <= 64 and text.replace("-", "").isalnum():
        return text.encode()
    return None


def incoming_id(scope: Scope) -> bytes | None:
    """The first id-like X-Request-ID the request carries, as it is echoed."""
    for name, value in scope["headers"]:
        if name == _HEADER:
            echoed = echoed_id(value)
            if echoed is not None:
                return echoed
    return None


def new_id() -> bytes:
    """A fresh request id: 64 random bits in hex."""
    return b"%016x" % getrandbits(64)


class RequestContext:
    def __init__(
        self, app: ASGIApp, metrics: Metrics, unlogged_routes: frozenset[str] = frozenset()
    ) -> None:
        """`unlogged_routes`: the templates of the hot reads (app/reads/contract.py), logged
        only when they fail; this layer sits below the reads, so they are handed in."""
        self.app = app
        self.metrics = metrics
        self.unlogged_routes = unlogged_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(scope) or new_id()
        token = request_id.set(rid.decode())
        started = perf_counter()
        status = 500
        header = (_HEADER, rid)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = perf_counter() - started
            # The template FastAPI matched (the fast layer records its own answers).
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            method = scope["method"]
            self.metrics.observe_request(method, route, status, seconds)
            if route not in self.unlogged_routes or status >= 500:
                # Route templates only: paths carry customer references.
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                    },
                )
            request_id.reset(token)
