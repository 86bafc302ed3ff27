"""What every response shares and what the HTTP server itself would otherwise decide:
HEAD served as GET without the body, `nosniff` and the caching policy on every answer,
CORS only for the origins configured, no `server` banner, and problem+json for the
malformed requests uvicorn rejects before the application sees them.

Caching policy: every answer is `Cache-Control: private, no-store` unless its route says
otherwise. Nearly every answer carries personal data (names, reasons, restrictions), so
no shared cache may keep it and no browser should write it to disk. The restrictions read
keeps its ETag: a client that keeps the body itself may still revalidate with
If-None-Match and get 304."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.problems import PROBLEM_JSON, problem_body, problem_response
from app.web.whole_response import offer

NOSNIFF = (b"x-content-type-options", b"nosniff")
PRIVATE_NO_STORE = b"private, no-store"
CACHE_CONTROL = (b"cache-control", PRIVATE_NO_STORE)

CORS_METHODS = ("GET", "HEAD", "POST", "PUT")
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
)
CORS_EXPOSED_HEADERS = ("ETag", "Idempotent-Replayed", "Retry-After", "X-Request-ID")


class HeadAsGet:
    """HEAD on any path is answered as GET would be, headers and all, without the body
    (RFC 9110 9.3.2). Outermost, so the fast layer and the routes need no HEAD of their
    own and cannot drift from their GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


class SafeHeaders:
    """`X-Content-Type-Options: nosniff` on every response, and the caching policy on every
    response that sets none. The fast answers carry both already (answers.py), so this
    stands behind the fast layer and costs the hot reads nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append(NOSNIFF)
                if b"cache-control" not in names:
                    headers.append(CACHE_CONTROL)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class _Cors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as a problem like every error."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        headers = {k: v for k, v in response.headers.items() if k.startswith("access-control")}
        return problem_response(
            400,
            "cors-refused",
            "That cross-origin request is not allowed.",
            f"Not allowed for cross-origin requests: {refused}. Allowed origins are set "
            "with CORS_ALLOW_ORIGINS.",
            headers=headers,
        )


def with_cors(app: ASGIApp, origins: tuple[str, ...]) -> ASGIApp:
    """CORS for the configured origins only; with none configured, no CORS at all (a
    browser on another origin cannot read any answer, and OPTIONS is 405)."""
    if not origins:
        return app
    cors = _Cors(
        app,
        allow_origins=list(origins),
        allow_methods=list(CORS_METHODS),
        allow_headers=list(CORS_REQUEST_HEADERS),
        expose_headers=list(CORS_EXPOSED_HEADERS),
        allow_credentials=False,
        max_age=600,
    )
    # The preflight answers come from CORSMiddleware itself: they get the headers here.
    return SafeHeaders(cors)


# The request line and headers together, at most: a bearer token is 1 or 2 KiB, and nothing
# this service reads needs more. httptools itself sets no bound, so a client could make the
# server hold (and parse) headers without end.
MAX_HEAD_BYTES = 32 * 1024


class _HeadTooLarge(Exception):
    pass


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering the requests it cannot parse (bad request
    line, bad header, bad chunked framing, conflicting lengths, bad URL) with a problem
    instead of plain text (the connection is closed after it, as uvicorn does), refusing a
    head over MAX_HEAD_BYTES with 431, and offering each request the one-write answer
    (app/web/whole_response.py)."""

    _head_bytes = 0  # the head's finished pieces (request line, headers), as parsed
    _head_chunks = 0  # bytes of the reads that came wholly inside this head
    _in_head = False
    _began = False
    _head_too_large = False

    def data_received(self, data: bytes) -> None:
        self._began = False
        super().data_received(data)
        # httptools reports a header only once it is finished: one that never ends (or a
        # URL) grows unseen. A read after the one the message began in, with the head still
        # unfinished once it is parsed, is head through and through, so it is counted.
        if self._in_head and not self._began and not self.transport.is_closing():
            self._head_chunks += len(data)
            if self._head_chunks > MAX_HEAD_BYTES:
                self._head_too_large = True
                self.send_400_response("Request header fields too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = self._head_chunks = 0
        self._in_head = self._began = True

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            # Raised inside the parser's callback: httptools stops and uvicorn answers
            # through send_400_response, which sees why.
            self._head_too_large = True
            raise _HeadTooLarge

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()
        # The request's cycle is made and its task scheduled, not yet run: the scope can
        # still be given the extension. (An upgrade request gets no new cycle.)
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:
            offer(self.scope, cycle)  # type: ignore[arg-type]

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:
            status_line = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            body = problem_body(
                431,
                "headers-too-large",
                "The request's headers are too large.",
                f"The request line and headers together may be at most {MAX_HEAD_BYTES} bytes.",
            )
        else:
            status_line = b"HTTP/1.1 400 Bad Request\r\n"
            body = problem_body(
                400,
                "bad-request",
                "The request could not be read.",
                "The request is not valid HTTP/1.1 (request line, headers or body framing).",
            )
        content = [status_line]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        for name, value in (
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            NOSNIFF,
            CACHE_CONTROL,
            (b"connection", b"close"),
        ):
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"\r\n", body])
        self.transport.write(b"".join(content))
        self.transport.close()


# How the service is served, by `crs serve` and by the tests alike: httptools with the
# problem answers above, no websockets (so an Upgrade header is ordinary HTTP and gets the
# app's answer), no `server` banner.
UVICORN_OPTIONS: dict[str, Any] = {
    "http": ProblemHttpToolsProtocol,
    "ws": "none",
    "server_header": False,
}
