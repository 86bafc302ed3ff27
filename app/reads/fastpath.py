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

from app.domain.time.clock import whole_second
from app.domain.vocabulary import Channel, Direction
from app.observability.requests import incoming_id
from app.reads.answers import Answer, contact_check_answer, restrictions_answer
from app.reads.params import (
    IF_NONE_MATCH_LIMIT,
    parse_at,
    valid_customer_ref,
    valid_service,
)
from app.snapshot.state import Freshness

RESTRICTIONS_ROUTE = "/customers/{customer_ref}/restrictions"
CHECK_ROUTE = "/customers/{customer_ref}/contact-check"
FLAT_CHECK_ROUTE = "/customers/{customer_ref}/contact-check/flat"
_PREFIX = "/customers/"
_RESTRICTIONS = "/restrictions"
_CHECK = "/contact-check"
_FLAT_CHECK = "/contact-check/flat"
_CHANNELS = {c.value: c for c in Channel}
_DIRECTIONS = {d.value: d for d in Direction}


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


class FastReads:
    def __init__(self, app: ASGIApp, state_of: Callable[[], Any]) -> None:
        self.app = app
        self.state_of = state_of
        # Resolved once the lifespan has made them (app.state lookups are slow).
        self._snapshot: Any = None
        self._clock: Callable[[], datetime] | None = None
        self._metrics: Any = None

    def _resolve(self) -> bool:
        state = self.state_of()
        snapshot = getattr(state, "snapshot", None)
        if snapshot is None:
            return False
        self._snapshot, self._clock, self._metrics = snapshot, state.clock, state.metrics
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            started = perf_counter()
            answer = self._answer(scope)
            if answer is not None:
                # This layer stands outermost, so it gives its answers the request id and
                # records their metrics itself, as RequestContext does for the rest.
                rid = incoming_id(scope) or f"{getrandbits(64):016x}"
                await _send(send, answer, rid.encode())
                self._metrics.observe_request(
                    "GET", scope["route_template"], answer.status, perf_counter() - started
                )
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> Answer | None:
        path: str = scope["path"]
        if not path.startswith(_PREFIX):
            return None
        if self._clock is None and not self._resolve():
            return None
        assert self._clock is not None
        snapshot = self._snapshot
        now = self._clock()
        global _stale
        _stale = not snapshot.is_fresh(now)
        # Not current and the reads' breaker open: the routes would answer this same last
        # confirmed state, marked stale, at once (app/snapshot/reads.py); so does this layer.
        if _stale and not (snapshot.reads_tripped and snapshot.loaded):
            return None
        if path.endswith(_RESTRICTIONS):
            ref = path[len(_PREFIX) : -len(_RESTRICTIONS)]
            answer = self._restrictions(scope, snapshot, ref, now)
            if answer is not None:
                scope["route_template"] = RESTRICTIONS_ROUTE
            return answer
        if path.endswith(_CHECK):
            ref = path[len(_PREFIX) : -len(_CHECK)]
            answer = self._check(scope, snapshot, ref, now, _CHECK_PARAMS, None)
            if answer is not None:
                scope["route_template"] = CHECK_ROUTE
                self._metrics.count_outcome(answer.outcome, scope["check_channel"])
            return answer
        if path.endswith(_FLAT_CHECK):
            ref = path[len(_PREFIX) : -len(_FLAT_CHECK)]
            answer = self._check(scope, snapshot, ref, now, _FLAT_CHECK_PARAMS, "flat")
            if answer is not None:
                scope["route_template"] = FLAT_CHECK_ROUTE
                self._metrics.count_outcome(answer.outcome, scope["check_channel"])
            return answer
        return None

    @staticmethod
    def _restrictions(scope: Scope, snapshot: Any, ref: str, now: datetime) -> Answer | None:
        if "/" in ref or not valid_customer_ref(ref):
            return None
        params = _query(scope["query_string"], _RESTRICTION_PARAMS)
        if params is None or params.get("include", "current") != "current":
            return None
        service = params.get("service")
        if service is not None and not valid_service(service):
            return None
        if_none_match = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if if_none_match is not None:
                    return None
                if_none_match = value.decode("latin-1")
                if len(if_none_match) > IF_NONE_MATCH_LIMIT:
                    return None
        freshness = _current(snapshot.confirmed_at)
        return restrictions_answer(snapshot.view(ref), now, freshness, service, None, if_none_match)

    @staticmethod
    def _check(
        scope: Scope,
        snapshot: Any,
        ref: str,
        now: datetime,
        allowed: frozenset[str],
        form: str | None,
    ) -> Answer | None:
        """`form` is the path's own form (flat), or None where `format` chooses it."""
        if "/" in ref or not valid_customer_ref(ref):
            return None
        params = _query(scope["query_string"], allowed)
        if params is None:
            return None
        channel = _CHANNELS.get(params.get("channel", ""))
        direction = _DIRECTIONS.get(params.get("direction", "inbound"))
        fmt = form or params.get("format", "json")
        if channel is None or direction is None or fmt not in ("json", "flat"):
            return None
        service = params.get("service")
        if service is not None and not valid_service(service):
            return None
        # Stored times are whole seconds, so "now" is asked at its second.
        at = whole_second(now)
        if "at" in params:
            parsed = parse_at(params["at"], now)
            if parsed is None:
                return None
            at = parsed
        freshness = _current(snapshot.confirmed_at)
        scope["check_channel"] = channel.value
        return contact_check_answer(
            snapshot.view(ref), channel, at, freshness, direction, service, fmt == "flat"
        )


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


_RESTRICTION_PARAMS = frozenset({"include", "service"})
_CHECK_PARAMS = frozenset({"channel", "at", "direction", "service", "format"})
_FLAT_CHECK_PARAMS = frozenset({"channel", "at", "direction", "service"})


async def _send(send: Send, answer: Answer, request_id: bytes) -> None:
    headers = list(answer.headers)
    if answer.status != 304:
        headers.append((b"content-length", str(len(answer.body)).encode()))
    headers.append((b"x-request-id", request_id))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
