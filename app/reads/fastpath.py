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
from time import perf_counter
from typing import Any, NamedTuple

from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth import QUERY_TOKEN, Gate
from app.domain.vocabulary import Channel, Direction
from app.identity import UnknownSigningKey
from app.observability.requests import echoed_id, new_id
from app.problems import ProblemError
from app.reads.answers import Answer, contact_check_answer, refusal_answer, restrictions_answer
from app.reads.contract import (
    AUTHORIZATION,
    CHECK,
    CUSTOMER_REF_MAX,
    DEFAULT_DIRECTION,
    DEFAULT_FORMAT,
    DEFAULT_INCLUDE,
    FLAT_CHECK,
    IF_NONE_MATCH,
    IF_NONE_MATCH_LIMIT,
    PREFIX,
    READS,
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
_REQUEST_ID = b"x-request-id"
_QUERY_TOKEN = QUERY_TOKEN.encode()
_FORMATS = ("json", "flat")
# The server extension that sends a whole answer in one write (app/web/whole_response.py).
WHOLE_RESPONSE = "crs.whole_response"


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


class _Check(NamedTuple):
    """A contact check's query string as read: everything but `at` is known from the
    string alone; `at`, when given, is judged against the time of each request."""

    channel: Channel
    channel_name: str  # for the metrics (an enum's .value is a slow property)
    direction: Direction
    flat: bool
    service: str | None
    at: str | None


# A query string read before reads the same again: kept per operation, as read (or _ROUTES
# for one the routes must read). Bounded; a flood of distinct strings only empties it.
_QUERIES_MAX = 4096


def _service_query(raw: bytes, kept: dict[bytes, Any]) -> Any:
    """The restrictions read's `service` (None: the whole council), or _ROUTES; kept."""
    found: Any = _ROUTES
    params = _query(raw, RESTRICTIONS.names)
    if params is not None and params.get("include", DEFAULT_INCLUDE) == DEFAULT_INCLUDE:
        service = params.get("service")
        if service is None or valid_service(service):
            found = service
    _keep(kept, raw, found)
    return found


def _check_query(
    raw: bytes, operation: ReadOperation, form: str | None, kept: dict[bytes, Any]
) -> Any:
    """A check's question as a _Check, or _ROUTES; kept. `form` is the path's own form
    (flat), or None where `format` chooses it."""
    found: Any = _ROUTES
    params = _query(raw, operation.names)
    if params is not None:
        channel = _CHANNELS.get(params.get("channel", ""))
        direction = _DIRECTIONS.get(params.get("direction", DEFAULT_DIRECTION))
        fmt = form or params.get("format", DEFAULT_FORMAT)
        service = params.get("service")
        if (
            channel is not None
            and direction is not None
            and fmt in _FORMATS
            and (service is None or valid_service(service))
        ):
            found = _Check(
                channel, channel.value, direction, fmt == "flat", service, params.get("at")
            )
    _keep(kept, raw, found)
    return found


def _keep(kept: dict[bytes, Any], raw: bytes, found: Any) -> None:
    if len(kept) >= _QUERIES_MAX:
        kept.clear()
    kept[raw] = found


_UNREAD = object()
_ROUTES = object()


def _headers(scope: Scope, etag: bool) -> tuple[str | None, str | None, bytes | None] | None:
    """The Authorization and (where `etag`) If-None-Match values, and the request id to
    echo; or None for anything the routes read their own way: either header repeated, or
    If-None-Match too long."""
    authorization = if_none_match = rid = None
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            if authorization is not None:
                return None
            authorization = value.decode("latin-1")
        elif name == _IF_NONE_MATCH:
            if not etag:
                continue
            if if_none_match is not None:
                return None
            if_none_match = value.decode("latin-1")
            if len(if_none_match) > IF_NONE_MATCH_LIMIT:
                return None
        elif name == _REQUEST_ID and rid is None:
            rid = echoed_id(value)
    return authorization, if_none_match, rid


class FastReads:
    def __init__(self, app: ASGIApp, state_of: Callable[[], Any], whole: bool = True) -> None:
        """`whole`: use the server's one-write extension when offered. Off where a layer
        outside this one must see the answer's messages (CORS adds its headers to them)."""
        self.app = app
        self.state_of = state_of
        self._whole = whole
        # Resolved once the lifespan has made them (app.state lookups are slow).
        self._snapshot: Any = None
        self._clock: Callable[[], datetime] | None = None
        self._metrics: Any = None
        self._gate: Gate | None = None
        self._queries: dict[str, dict[bytes, Any]] = {op.template: {} for op in READS}

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
                template, answer, rid = answered
                # This layer stands outermost, so it gives its answers the request id and
                # records their metrics itself, as RequestContext does for the rest.
                # Sent here rather than by a helper: each coroutine costs.
                status, body = answer.status, answer.body
                rid = rid or new_id()
                extensions = scope.get("extensions")
                # Only the answers with their header lines made (answer.head): their
                # headers are all this service's own constants and digests. A refusal's
                # come partly from the refusal, and are left to the server's checks.
                if (
                    self._whole
                    and answer.head
                    and extensions is not None
                    and WHOLE_RESPONSE in extensions
                ):
                    head = answer.head + b"x-request-id: " + rid + b"\r\n"
                    sent = extensions[WHOLE_RESPONSE]["send"](status, head, body)
                else:
                    sent = False
                if not sent:
                    if status == 304:
                        headers = [*answer.headers, (_REQUEST_ID, rid)]
                    else:
                        length = (b"content-length", b"%d" % len(body))
                        headers = [*answer.headers, length, (_REQUEST_ID, rid)]
                    await send(
                        {"type": "http.response.start", "status": status, "headers": headers}
                    )
                    await send({"type": "http.response.body", "body": body})
                self._metrics.observe_request("GET", template, status, perf_counter() - started)
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> tuple[str, Answer, bytes | None] | None:
        """The answer (with the template that names it, and the request id to echo), or
        None for the routes. One function: on the hot path, each call costs."""
        path: str = scope["path"]
        if not path.startswith(PREFIX):
            return None
        for read in _READS:
            if path.endswith(read[0].suffix):
                break
        else:
            return None
        operation, form = read
        ref = path[len(PREFIX) : -len(operation.suffix)]
        # Printable text of the right length always matches the pattern (which excludes only
        # control characters), so the pattern itself is tried only for the rest.
        if "/" in ref or not (
            (0 < len(ref) <= CUSTOMER_REF_MAX and ref.isprintable()) or valid_customer_ref(ref)
        ):
            return None
        if self._clock is None and not self._resolve():
            return None
        assert self._clock is not None and self._gate is not None
        snapshot = self._snapshot
        now = self._clock()
        global _stale
        _stale = not snapshot.is_fresh(now)
        # Not current and the reads' breaker open: the routes would answer this same last
        # confirmed state, marked stale, at once (app/snapshot/read_model.py); so does this layer.
        if _stale and not (snapshot.reads_tripped and snapshot.loaded):
            return None
        crm = operation is RESTRICTIONS
        headers = _headers(scope, crm)
        if headers is None:
            return None
        authorization, if_none_match, rid = headers
        if _QUERY_TOKEN in scope["query_string"]:
            # The routes refuse a token in the URL before anything else (app/auth.py).
            return None
        # As the routes' dependency runs before their parameters are read. A refusal (401,
        # 403, 503) is sent from here, as the routes would give it, so that a bad token costs
        # the routes nothing; a key the gate must fetch first is left to the routes.
        try:
            self._gate.check(operation.action, authorization)
        except UnknownSigningKey:
            return None
        except ProblemError as refused:
            return operation.template, refusal_answer(refused, path), rid
        raw: bytes = scope["query_string"]
        kept = self._queries[operation.template]
        found = kept.get(raw, _UNREAD)
        if crm:
            service = _service_query(raw, kept) if found is _UNREAD else found
            if service is _ROUTES:
                return None
            freshness = _current(snapshot.confirmed_at)
            answer = restrictions_answer(
                snapshot.view(ref), now, freshness, service, None, if_none_match
            )
            return operation.template, answer, rid
        question = _check_query(raw, operation, form, kept) if found is _UNREAD else found
        if question is _ROUTES:
            return None
        if question.at is None:
            at = default_at(now)
        else:
            parsed = parse_at(question.at, now)
            if parsed is None:
                return None
            at = parsed
        answer = contact_check_answer(
            snapshot.view(ref),
            question.channel,
            at,
            _current(snapshot.confirmed_at),
            question.direction,
            question.service,
            question.flat,
        )
        self._metrics.count_outcome(answer.outcome, question.channel_name)
        return operation.template, answer, rid


# Each read's path with its own form: None where `format` chooses it.
_READS: tuple[tuple[ReadOperation, str | None], ...] = (
    (RESTRICTIONS, None),
    (CHECK, None),
    (FLAT_CHECK, "flat"),
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
