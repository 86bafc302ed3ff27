"""A small ASGI layer in front of the FastAPI app that answers the two hot reads in their
ordinary valid form, straight from the snapshot, with the same functions the routes use.

It answers only when it is sure to give the routes' exact answer: a GET of
/customers/{ref}/restrictions, /customers/{ref}/contact-check or .../contact-check/flat
whose parameters it parses exactly as the routes do, while the snapshot is current. Anything else — bad
input, unknown or repeated parameters, include=all, a stale snapshot, every other path —
goes to the FastAPI app unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from random import getrandbits
from time import perf_counter
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth import Gate
from app.domain.vocabulary import Channel, Direction
from app.identity import UnknownSigningKey
from app.observability.requests import incoming_id
from app.problems import ProblemError
from app.reads.answers import Answer, contact_check_answer, refusal_answer, restrictions_answer
from app.reads.contract import (
    AUTHORIZATION,
    CHECK,
    DEFAULT_DIRECTION,
    DEFAULT_FORMAT,
    DEFAULT_INCLUDE,
    FLAT_CHECK,
    IF_NONE_MATCH,
    IF_NONE_MATCH_LIMIT,
    PREFIX,
    RESTRICTIONS,
    ReadOperation,
    default_at,
)
from app.reads.params import parse_at, valid_customer_ref, valid_service
from app.snapshot.state import Freshness

_CHANNELS = {c.value: c for c in Channel}
_DIRECTIONS = {d.value: d for d in Direction}
_AUTHORIZATION = AUTHORIZATION.encode()
_IF_NONE_MATCH = IF_NONE_MATCH.encode()
_FORMATS = ("json", "flat")


def _query(raw: bytes, allowed: frozenset[str]) -> dict[str, str] | None:
    """Plain `name=value&...` only: anything with escapes, '+', ';' or non-ASCII, or a
    name repeated or unknown, goes to the routes (which decode it their own way)."""
    if not raw:
        return {}
    if not raw.isascii() or b"%" in raw or b"+" in raw or b";" in raw:
        return None
    params: dict[str, str] = {}
    for pair in raw.decode("ascii").split("&"):
        name, sep, value = pair.partition("=")
        if not sep or name not in allowed or name in params:
            return None
        params[name] = value
    return params


def _headers(scope: Scope, etag: bool) -> tuple[str | None, str | None] | None:
    """The Authorization and (where `etag`) If-None-Match values, or None for anything
    the routes read their own way: either header repeated, or If-None-Match too long."""
    authorization = if_none_match = None
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            if authorization is not None:
                return None
            authorization = value.decode("latin-1")
        elif etag and name == _IF_NONE_MATCH:
            if if_none_match is not None:
                return None
            if_none_match = value.decode("latin-1")
            if len(if_none_match) > IF_NONE_MATCH_LIMIT:
                return None
    return authorization, if_none_match


# The gate could not decide without waiting (a key it must fetch): the routes decide.
_DEFER = object()


def _admission(gate: Gate, operation: ReadOperation, authorization: str | None, path: str) -> Any:
    """None when admitted; the refusal as the routes would give it (401, 403, 503), which
    this layer sends itself so that a bad token costs the routes nothing; or _DEFER."""
    try:
        gate.check(operation.action, authorization)
    except UnknownSigningKey:
        return _DEFER
    except ProblemError as refused:
        return refusal_answer(refused, path)
    return None


class FastReads:
    def __init__(self, app: ASGIApp, state_of: Callable[[], Any]) -> None:
        self.app = app
        self.state_of = state_of
        # Resolved once the lifespan has made them (app.state lookups are slow).
        self._snapshot: Any = None
        self._clock: Callable[[], datetime] | None = None
        self._metrics: Any = None
        self._gate: Gate | None = None

    def _resolve(self) -> bool:
        state = self.state_of()
        snapshot = getattr(state, "snapshot", None)
        if snapshot is None:
            return False
        self._snapshot, self._clock, self._metrics = snapshot, state.clock, state.metrics
        self._gate = state.gate
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            started = perf_counter()
            answered = self._answer(scope)
            if answered is not None:
                operation, answer = answered
                # This layer stands outermost, so it gives its answers the request id and
                # records their metrics itself, as RequestContext does for the rest.
                rid = incoming_id(scope) or f"{getrandbits(64):016x}"
                await _send(send, answer, rid.encode())
                self._metrics.observe_request(
                    "GET", operation.template, answer.status, perf_counter() - started
                )
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> tuple[ReadOperation, Answer] | None:
        path: str = scope["path"]
        if not path.startswith(PREFIX):
            return None
        if self._clock is None and not self._resolve():
            return None
        assert self._clock is not None
        snapshot = self._snapshot
        now = self._clock()
        global _stale
        _stale = not snapshot.is_fresh(now)
        # Not current and the reads' breaker open: the routes would answer this same last
        # confirmed state, marked stale, at once (app/snapshot/read_model.py); so does this layer.
        if _stale and not (snapshot.reads_tripped and snapshot.loaded):
            return None
        if path.endswith(RESTRICTIONS.suffix):
            ref = path[len(PREFIX) : -len(RESTRICTIONS.suffix)]
            answer = self._restrictions(scope, snapshot, ref, now)
            return None if answer is None else (RESTRICTIONS, answer)
        for operation, form in _CHECKS:
            if path.endswith(operation.suffix):
                ref = path[len(PREFIX) : -len(operation.suffix)]
                answer = self._check(scope, snapshot, ref, now, operation, form)
                return None if answer is None else (operation, answer)
        return None

    def _admit(self, scope: Scope, operation: ReadOperation, etag: bool) -> Any:
        """As the routes' dependency runs before their parameters are read: the headers
        (None when the routes must read them), then the gate's answer."""
        headers = _headers(scope, etag)
        if headers is None:
            return None
        assert self._gate is not None
        refused = _admission(self._gate, operation, headers[0], scope["path"])
        return headers if refused is None else refused

    def _restrictions(self, scope: Scope, snapshot: Any, ref: str, now: datetime) -> Answer | None:
        if "/" in ref or not valid_customer_ref(ref):
            return None
        headers = self._admit(scope, RESTRICTIONS, True)
        if not isinstance(headers, tuple):
            return None if headers is None or headers is _DEFER else headers
        params = _query(scope["query_string"], RESTRICTIONS.names)
        if params is None or params.get("include", DEFAULT_INCLUDE) != DEFAULT_INCLUDE:
            return None
        service = params.get("service")
        if service is not None and not valid_service(service):
            return None
        freshness = _current(snapshot.confirmed_at)
        return restrictions_answer(snapshot.view(ref), now, freshness, service, None, headers[1])

    def _check(
        self,
        scope: Scope,
        snapshot: Any,
        ref: str,
        now: datetime,
        operation: ReadOperation,
        form: str | None,
    ) -> Answer | None:
        """`form` is the path's own form (flat), or None where `format` chooses it."""
        if "/" in ref or not valid_customer_ref(ref):
            return None
        headers = self._admit(scope, operation, False)
        if not isinstance(headers, tuple):
            return None if headers is None or headers is _DEFER else headers
        params = _query(scope["query_string"], operation.names)
        if params is None:
            return None
        channel = _CHANNELS.get(params.get("channel", ""))
        direction = _DIRECTIONS.get(params.get("direction", DEFAULT_DIRECTION))
        fmt = form or params.get("format", DEFAULT_FORMAT)
        if channel is None or direction is None or fmt not in _FORMATS:
            return None
        service = params.get("service")
        if service is not None and not valid_service(service):
            return None
        at = default_at(now)
        if "at" in params:
            parsed = parse_at(params["at"], now)
            if parsed is None:
                return None
            at = parsed
        freshness = _current(snapshot.confirmed_at)
        answer = contact_check_answer(
            snapshot.view(ref), channel, at, freshness, direction, service, fmt == "flat"
        )
        self._metrics.count_outcome(answer.outcome, channel.value)
        return answer


# Each check path with its own form: None where `format` chooses it.
_CHECKS: tuple[tuple[ReadOperation, str | None], ...] = ((CHECK, None), (FLAT_CHECK, "flat"))

_freshness: Freshness | None = None
_stale = False


def _current(confirmed_at: datetime) -> Freshness:
    """One value per confirmation while the snapshot is current."""
    global _freshness
    if _stale:
        return Freshness(confirmed_at, True)
    if _freshness is None or _freshness.as_of != confirmed_at:
        _freshness = Freshness(confirmed_at, False)
    return _freshness


async def _send(send: Send, answer: Answer, request_id: bytes) -> None:
    headers = list(answer.headers)
    if answer.status != 304:
        headers.append((b"content-length", str(len(answer.body)).encode()))
    headers.append((b"x-request-id", request_id))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
