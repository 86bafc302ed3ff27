"""Request bodies are bounded in size and in time, before any parsing: the whole body is
read here first, so a body over the limit is 413 whether it came with a Content-Length or
chunked, and a body that stops coming (Content-Length 10, 2 bytes sent) is 408 once
`body_read_timeout_seconds` have passed since the request began. Both close the
connection: what is left of the body is never read."""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.problems import PROBLEM_JSON, problem_body

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._too_large(scope, send)
                    return
        chunks: list[bytes] = []
        received = 0
        deadline = time.monotonic() + self.read_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), deadline - time.monotonic())
            except TimeoutError:
                await self._timed_out(scope, send)
                return
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            # After the body, only a disconnect can come: wait for it as the server would.
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await _refuse(
            send,
            problem_body(
                413,
                "payload-too-large",
                "The request body is too large.",
                f"Request bodies are limited to {self.max_bytes} bytes.",
                scope.get("path"),
            ),
            413,
        )

    async def _timed_out(self, scope: Scope, send: Send) -> None:
        await _refuse(
            send,
            problem_body(
                408,
                "request-timeout",
                "The request body did not arrive in time.",
                f"The whole request body must arrive within {self.read_timeout:g} seconds.",
                scope.get("path"),
            ),
            408,
        )


async def _refuse(send: Send, body: bytes, status: int) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
