"""Idempotency-Key on POST (the IETF httpapi draft), between the body limit and the routes:
the same key with the same request answers what the first answered, without running it
again; with another request, 422; while the first is still running, 409. A request
without the header is untouched.

The key is the caller's own (scoped by the verified token's subject). It is claimed before
the request runs, marked committed inside the write's own transaction (app/deps.py), and
kept with the answer before the answer is sent, so a retry that follows an answer always
finds it. A request that recorded nothing leaves no key behind: its retry runs again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import AUTHORIZATION_HEADER, Gate
from app.domain.idempotency import HEADER, InvalidKey, Verdict, fingerprint, parse_key
from app.persistence import idempotency as store
from app.persistence.db import Database
from app.problems import PROBLEM_JSON, ProblemError

log = logging.getLogger(__name__)

_HEADER = HEADER.encode()
_AUTHORIZATION = AUTHORIZATION_HEADER.lower().encode()


class Idempotency:
    def __init__(self, app: ASGIApp, state: Callable[[], Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        keys = [v for n, v in scope["headers"] if n == _HEADER]
        if not keys:
            await self.app(scope, receive, send)
            return
        try:
            if len(keys) > 1:
                raise InvalidKey("give one Idempotency-Key header, not several")
            key = parse_key(keys[0].decode("latin-1"))
        except InvalidKey as error:
            await _problem(send, scope, _bad_key(str(error)))
            return
        state = self.state()
        gate: Gate = state.gate
        authorization = [v for n, v in scope["headers"] if n == _AUTHORIZATION]
        principal = await gate.identify(
            authorization[0].decode("latin-1") if len(authorization) == 1 else None
        )
        if principal is None:
            # The operation refuses it (401) as it would without a key: nothing to keep.
            await self.app(scope, receive, send)
            return
        # The body limit before this has read the whole body into one message.
        message = await receive()
        body = message.get("body", b"")
        request_fingerprint = fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        database: Database = state.database
        try:
            claimed = await store.claim(
                database, principal.subject, key, request_fingerprint, state.clock()
            )
        except ProblemError as problem:
            await _problem(send, scope, problem)
            return
        if claimed.verdict is not Verdict.RUN:
            await _answer_seen(send, scope, claimed)
            return

        scope.setdefault("state", {})[store.SCOPE_KEY] = (principal.subject, key)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return message
            return await receive()

        captured: list[Message] = []

        async def capture(reply: Message) -> None:
            captured.append(reply)

        try:
            await self.app(scope, replay, capture)
        finally:
            answer = _answer_of(captured)
            try:
                await store.finish(database, principal.subject, key, answer)
            except ProblemError:
                # The write (if any) stands; its key says so, and a retry after the lease
                # is told the answer was lost rather than recording it twice.
                log.warning("idempotency key not finished: database unavailable")
            for reply in captured:
                await send(reply)


def _answer_of(captured: list[Message]) -> store.Answer:
    status = 500
    content_type = location = None
    chunks: list[bytes] = []
    for reply in captured:
        if reply["type"] == "http.response.start":
            status = reply["status"]
            for name, value in reply.get("headers", []):
                if name == b"content-type":
                    content_type = value.decode("latin-1")
                elif name == b"location":
                    location = value.decode("latin-1")
        elif reply["type"] == "http.response.body":
            chunks.append(reply.get("body", b""))
    return store.Answer(status, content_type, location, b"".join(chunks))


async def _answer_seen(send: Send, scope: Scope, claimed: store.Claim) -> None:
    if claimed.verdict is Verdict.REPLAY:
        answer = claimed.answer
        assert answer is not None
        headers = [
            (b"content-length", str(len(answer.body)).encode()),
            (b"idempotent-replayed", b"true"),
        ]
        if answer.content_type:
            headers.append((b"content-type", answer.content_type.encode("latin-1")))
        if answer.location:
            headers.append((b"location", answer.location.encode("latin-1")))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
        return
    problems = {
        Verdict.MISMATCH: ProblemError(
            422,
            "idempotency-key-reused",
            "That Idempotency-Key was used for another request.",
            "The key was first sent with another operation or body. Use a new key for a "
            "new request; resend the first request unchanged to get its answer.",
        ),
        Verdict.IN_FLIGHT: ProblemError(
            409,
            "idempotency-key-in-flight",
            "A request with that Idempotency-Key is still being processed.",
            "Wait for its answer, then retry with the same key to get it.",
            headers={"Retry-After": "1"},
        ),
        Verdict.LOST: ProblemError(
            409,
            "idempotency-key-answer-lost",
            "The request with that Idempotency-Key was recorded, but its answer was lost.",
            "It was not recorded again. Read the resource back to see what was recorded.",
        ),
    }
    await _problem(send, scope, problems[claimed.verdict])


def _bad_key(reason: str) -> ProblemError:
    return ProblemError(
        400,
        "invalid-idempotency-key",
        "The Idempotency-Key header is not valid.",
        f"Idempotency-Key: {reason}.",
    )


async def _problem(send: Send, scope: Scope, problem: ProblemError) -> None:
    body = problem.body(scope.get("path"))
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
