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


def incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _HEADER:
            text: str = value.decode("latin-1")
            # Only an id-like value is echoed: nothing a caller sends reaches the logs raw.
            if 0 < len(text) <= 64 and text.replace("-", "").isalnum():
                return text
    return None


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
        rid = incoming_id(scope) or f"{getrandbits(64):016x}"
        token = request_id.set(rid)
        started = perf_counter()
        status = 500
        header = (_HEADER, rid.encode())

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
