"""The one serialiser of the two reads and the batch check. The fast layer and the
FastAPI routes both call these functions, so their answers are the same bytes.

An answer is assembled from parts: the customer reference, the parts that depend on the
question (channel, direction, service, `at`), the part that depends on the customer's
markers, and the freshness (`as_of`, `stale`). The marker part is kept, per customer and
question, for as long as the rules say it cannot change (`rules.stable_until`): until a
marker starts or ends, a schedule window opens or closes, or a quota period turns over,
and only while the snapshot holds the very same markers. So a repeated read costs a dict
lookup and a few byte joins, and expiry still takes effect at its instant."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple

import orjson

from app.domain.contact_rules import (
    CheckResult,
    allowed_channels,
    check_contact,
    single_point_of_contact,
    stable_until,
)
from app.domain.details import SinglePointOfContactDetails
from app.domain.markers import Marker
from app.domain.vocabulary import Channel, Direction
from app.problems import PROBLEM_JSON, ProblemError
from app.reads.marker_json import iso, marker_bytes
from app.snapshot.state import CustomerView, Freshness
from app.wording.catalogue import render_reason

JSON = b"application/json"
# One caching policy for personal data (app/web/http_edges.py): the fast layer answers without
# the common-headers layer, so the answers carry the policy and `nosniff` themselves.
NO_STORE = b"private, no-store"
REVALIDATE = NO_STORE  # the ETag stays: a client keeping the body may still revalidate
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_CHECK_HEADERS = ((b"content-type", JSON), (b"cache-control", NO_STORE), _NOSNIFF)


def head_lines(headers: tuple[tuple[bytes, bytes], ...]) -> bytes:
    """Headers as HTTP/1.1 header lines, for a server that sends an answer whole."""
    return b"".join(name + b": " + value + b"\r\n" for name, value in headers)


_CHECK_HEAD = head_lines(_CHECK_HEADERS)
_MAX_ENTRIES = 200_000


class Answer(NamedTuple):
    """(A named tuple: one is made for every read, and a frozen dataclass costs several
    times as much to make.)"""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    outcome: str | None = None  # for the metrics; never sent
    # `headers` as header lines (head_lines), made with the answer where that is cheap;
    # empty for answers whose headers are not all this service's own (refusals).
    head: bytes = b""


class _Part(NamedTuple):
    """A serialised marker part, valid over [since, until) for exactly these markers."""

    markers: tuple[Marker, ...]
    contacts: object
    language: str | None
    since: datetime
    until: datetime | None
    body: bytes
    extra: Any


_parts: dict[tuple[Any, ...], _Part] = {}
# With no markers the marker part depends on nothing but the question and the language.
_unrestricted: dict[tuple[Any, ...], tuple[bytes, Any]] = {}


def _constant(key: tuple[Any, ...], build: Callable[[], tuple[bytes, Any]]) -> tuple[bytes, Any]:
    found = _unrestricted.get(key)
    if found is None:
        found = build()
        if len(_unrestricted) < 10_000:
            _unrestricted[key] = found
    return found


def _evict_oldest(cache: dict[Any, Any], count: int) -> None:
    """Drop the `count` entries kept longest (a dict keeps insertion order). A few
    milliseconds: emptying a full cache at once freed 200 000 parts in one go, stalling
    every read for tens of milliseconds, and then every read missed."""
    for key in list(islice(cache, count)):
        del cache[key]


def _cached(
    key: tuple[Any, ...],
    view: CustomerView,
    at: datetime,
    build: Callable[[], tuple[bytes, Any]],
) -> tuple[bytes, Any]:
    part = _parts.get(key)
    if (
        part is not None
        and part.markers is view.markers
        and part.contacts is view.contacts
        and part.language == view.preferred_language
        and part.since <= at
        and (part.until is None or at < part.until)
    ):
        return part.body, part.extra
    body, extra = build()
    if len(_parts) >= _MAX_ENTRIES:
        _evict_oldest(_parts, _MAX_ENTRIES // 16)
    until = stable_until(view.markers, at, view.contacts)
    _parts[key] = _Part(
        view.markers, view.contacts, view.preferred_language, at, until, body, extra
    )
    return body, extra


def _inner(value: dict[str, Any]) -> bytes:
    """A JSON object's members without the braces, to be joined into a larger object."""
    return orjson.dumps(value)[1:-1]


def _officer(officer: SinglePointOfContactDetails | None) -> dict[str, Any] | None:
    if officer is None:
        return None
    return {
        "officer_id": officer.officer_id,
        "name": officer.name,
        "phone": officer.phone,
        "email": officer.email,
    }


def _channels(channels: Sequence[Channel] | None) -> list[str] | None:
    return None if channels is None else [c.value for c in channels]


_last_freshness: tuple[Freshness | None, bytes] = (None, b"")


def _freshness(freshness: Freshness) -> bytes:
    """The answer's end: `as_of`, `stale` and the closing brace; kept while the same."""
    global _last_freshness
    last, text = _last_freshness
    if last is not freshness and last != freshness:
        stale = b',"stale":true}' if freshness.stale else b',"stale":false}'
        text = b',"as_of":' + orjson.dumps(iso(freshness.as_of)) + stale
        _last_freshness = (freshness, text)
    return text


def etag_matches(if_none_match: str | None, etag: bytes) -> bool:
    """Weak comparison (RFC 9110 13.1.2): W/"x" matches "x" and W/"x"."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.decode().removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def _restrictions_part(
    markers: Sequence[Marker], listed: Sequence[Marker], view: CustomerView, now: datetime
) -> bytes:
    """The members of the CRM read after `customer_ref`, as `orjson.dumps` of the dict
    {restricted, preferred_language, markers, allowed_channels, single_point_of_contact}
    would write them; each marker comes from its kept serialisation."""
    head = _inner({"restricted": bool(markers), "preferred_language": view.preferred_language})
    tail = _inner(
        {
            "allowed_channels": _channels(
                allowed_channels(markers, now, Direction.INBOUND, view.contacts)
            ),
            "single_point_of_contact": _officer(single_point_of_contact(markers, now)),
        }
    )
    listing = b",".join(marker_bytes(m, now) for m in listed)
    return head + b',"markers":[' + listing + b"]," + tail


def _digest(part: bytes) -> bytes:
    return hashlib.blake2b(part, digest_size=12).hexdigest().encode()


def _etag(digest: bytes, customer_ref: str) -> bytes:
    """The CRM read's ETag: the digest of its part after customer_ref (the markers, what
    is open, the officer, the language: everything but the freshness, which changes with
    every heartbeat), so it changes whenever the body does, for the customer's URL; and a
    checksum of the reference, so that two customers' answers, alike but for it, have
    different tags too. The digest is kept with the part, so a read hashes no body."""
    return b'W/"%s-%08x"' % (digest, zlib.crc32(customer_ref.encode()))


# With no markers, the part depends on nothing but the language.
_unrestricted_lists: dict[str | None, tuple[bytes, bytes]] = {}


def restrictions_answer(
    view: CustomerView,
    now: datetime,
    freshness: Freshness,
    service: str | None = None,
    history: Sequence[Marker] | None = None,
    if_none_match: str | None = None,
) -> Answer:
    """GET /customers/{ref}/restrictions. `history`, when given (include=all), lists every
    marker ever recorded; what is in force is still judged from the current markers."""
    if history is not None:
        current = [m for m in view.markers if m.covers(service) and m.in_force(now)]
        listed = [m for m in history if m.covers(service)]
        part = _restrictions_part(current, listed, view, now)
        etag = _etag(_digest(part), view.customer_ref)
    elif view.markers:

        def build() -> tuple[bytes, Any]:
            current = [m for m in view.markers if m.covers(service) and m.in_force(now)]
            part = _restrictions_part(current, current, view, now)
            # The part is kept per customer, so its ETag can be too.
            return part, _etag(_digest(part), view.customer_ref)

        part, etag = _cached(("restrictions", view.customer_ref, service), view, now, build)
    else:
        kept = _unrestricted_lists.get(view.preferred_language)
        if kept is None:
            part = _restrictions_part((), (), view, now)
            kept = (part, _digest(part))
            if len(_unrestricted_lists) < 100:
                _unrestricted_lists[view.preferred_language] = kept
        part, digest = kept
        etag = _etag(digest, view.customer_ref)
    if if_none_match is not None and etag_matches(if_none_match, etag):
        revalidated = ((b"etag", etag), *_REVALIDATE_HEADERS)
        return Answer(304, revalidated, b"", None, b"etag: " + etag + _AFTER_ETAG)
    body = b"".join(
        (b'{"customer_ref":', orjson.dumps(view.customer_ref), b",", part, _freshness(freshness))
    )
    headers = ((b"content-type", JSON), (b"etag", etag), *_REVALIDATE_HEADERS)
    return Answer(200, headers, body, None, _BEFORE_ETAG + etag + _AFTER_ETAG)


_REVALIDATE_HEADERS = ((b"cache-control", REVALIDATE), _NOSNIFF)
# The CRM read's header lines around its ETag, the only one that differs between answers.
_BEFORE_ETAG = head_lines(((b"content-type", JSON),)) + b"etag: "
_AFTER_ETAG = b"\r\n" + head_lines(_REVALIDATE_HEADERS)


def _reasons(result: CheckResult) -> list[dict[str, str]]:
    return [
        {"marker_id": r.marker_id, "kind": r.kind.value, "message": render_reason(r)}
        for r in result.reasons
    ]


def _check_part(result: CheckResult, view: CustomerView) -> bytes:
    return _inner(
        {
            "allowed": result.allowed,
            "outcome": result.outcome.value,
            "reasons": _reasons(result),
            "next_allowed_at": iso(result.next_allowed_at),
            "allowed_channels": _channels(result.allowed_channels),
            "route_to": _officer(result.route_to),
            "preferred_language": view.preferred_language,
        }
    )


def _epoch(value: datetime | None) -> str:
    return "" if value is None else str(int(value.timestamp()))


def _flat_channels(channels: Sequence[Channel] | None) -> str:
    """`any` when every channel is open, `none` when none is, else the open ones by '-'."""
    if channels is None:
        return "any"
    return "-".join(c.value for c in channels) or "none"


def _flat_part(result: CheckResult, view: CustomerView) -> bytes:
    """The flat form (Amazon Connect STRING_MAP): routing fields are codes of letters,
    digits, dash and underscore; every time is ISO 8601 and epoch seconds; absent values
    are empty strings."""
    officer = _officer(result.route_to) or {}
    flat: dict[str, str] = {
        "allowed": "true" if result.allowed else "false",
        "outcome": result.outcome.value,
        "next_allowed_at": iso(result.next_allowed_at) or "",
        "next_allowed_at_epoch": _epoch(result.next_allowed_at),
        "allowed_channels": _flat_channels(result.allowed_channels),
        "route_to_officer_id": officer.get("officer_id") or "",
        "route_to_name": officer.get("name") or "",
        "route_to_phone": officer.get("phone") or "",
        "route_to_email": officer.get("email") or "",
        "preferred_language": view.preferred_language or "",
        "reason_count": str(len(result.reasons)),
        "message": " ".join(render_reason(r) for r in result.reasons),
    }
    for i, reason in enumerate(result.reasons, start=1):
        flat[f"reason_{i}_kind"] = reason.kind.value
        flat[f"reason_{i}_marker_id"] = reason.marker_id
        flat[f"reason_{i}_message"] = render_reason(reason)
    return _inner(flat)


_questions: dict[tuple[Channel, Direction, str | None, bool], bytes] = {}


def _question(channel: Channel, direction: Direction, service: str | None, flat: bool) -> bytes:
    key = (channel, direction, service, flat)
    text = _questions.get(key)
    if text is None:
        text = _inner(
            {
                "channel": channel.value,
                "direction": direction.value,
                "service": (service or "") if flat else service,
            }
        )
        if len(_questions) < 10_000:
            _questions[key] = text
    return text


def _check_part_for(
    view: CustomerView,
    channel: Channel,
    at: datetime,
    direction: Direction,
    service: str | None,
    flat: bool,
) -> tuple[bytes, str]:
    """The marker part of a contact check and its outcome."""

    def build() -> tuple[bytes, Any]:
        result = check_contact(view.markers, channel, at, direction, service, view.contacts)
        part = _flat_part(result, view) if flat else _check_part(result, view)
        return part, result.outcome.value

    if view.markers:
        key = ("check", view.customer_ref, channel, direction, service, flat)
        return _cached(key, view, at, build)
    return _constant(("check", view.preferred_language, channel, direction, service, flat), build)


_last_when: dict[bool, tuple[datetime | None, bytes]] = {True: (None, b""), False: (None, b"")}


def _when(at: datetime, flat: bool) -> bytes:
    """`at` as written in the answer; kept while it stays the same (asked at "now", it
    changes once a second)."""
    last, text = _last_when[flat]
    if last != at:
        text = b',"at":' + orjson.dumps(iso(at))
        if flat:
            text += b',"at_epoch":"' + _epoch(at).encode() + b'"'
        _last_when[flat] = (at, text)
    return text


class _Frame(NamedTuple):
    """What a contact check's answer holds around its marker part, for one question
    (channel, direction, service, form): kept while `at` and the freshness stay the same
    (asked at "now", once a second), with the question's parts for customers without
    markers, which depend on nothing else but the language."""

    at: datetime
    freshness: Freshness
    middle: bytes  # the question and `at`, between customer_ref and the marker part
    tail: bytes  # the freshness, and the closing brace
    unrestricted: dict[str | None, tuple[bytes, str]]


_frames: dict[tuple[Channel, Direction, str | None, bool], _Frame] = {}


def contact_check_answer(
    view: CustomerView,
    channel: Channel,
    at: datetime,
    freshness: Freshness,
    direction: Direction = Direction.INBOUND,
    service: str | None = None,
    flat: bool = False,
) -> Answer:
    """GET /customers/{ref}/contact-check, as JSON or as the flat map of strings."""
    key = (channel, direction, service, flat)
    frame = _frames.get(key)
    if (
        frame is None
        or (frame.at is not at and frame.at != at)
        or (frame.freshness is not freshness and frame.freshness != freshness)
    ):
        frame = _Frame(
            at,
            freshness,
            _question(channel, direction, service, flat) + _when(at, flat) + b",",
            _freshness_flat(freshness, flat),
            frame.unrestricted if frame is not None else {},
        )
        if len(_frames) >= 10_000:
            _frames.clear()
        _frames[key] = frame
    if view.markers:
        part, outcome = _check_part_for(view, channel, at, direction, service, flat)
    else:
        found = frame.unrestricted.get(view.preferred_language)
        if found is None:
            found = frame.unrestricted[view.preferred_language] = _check_part_for(
                view, channel, at, direction, service, flat
            )
        part, outcome = found
    body = b"".join(
        (
            b'{"customer_ref":',
            orjson.dumps(view.customer_ref),
            b",",
            frame.middle,
            part,
            frame.tail,
        )
    )
    return Answer(200, _CHECK_HEADERS, body, outcome, _CHECK_HEAD)


_last_flat: tuple[Freshness | None, bytes] = (None, b"")


def _freshness_flat(freshness: Freshness, flat: bool) -> bytes:
    global _last_flat
    if not flat:
        return _freshness(freshness)
    last, text = _last_flat
    if last is freshness or last == freshness:
        return text
    members = _inner(
        {
            "as_of": iso(freshness.as_of),
            "as_of_epoch": _epoch(freshness.as_of),
            "stale": "true" if freshness.stale else "false",
        }
    )
    text = b"," + members + b"}"
    _last_flat = (freshness, text)
    return text


def batch_answer(
    views: Sequence[CustomerView],
    channel: Channel,
    at: datetime,
    direction: Direction,
    service: str | None,
    freshness: Freshness,
) -> bytes:
    """POST /contact-checks: each result is the contact check's own marker part, so a
    letter run costs a lookup per customer once the parts are known."""
    items = [
        b'{"customer_ref":'
        + orjson.dumps(view.customer_ref)
        + b","
        + _check_part_for(view, channel, at, direction, service, False)[0]
        + b"}"
        for view in views
    ]
    head = _inner(
        {
            "channel": channel.value,
            "direction": direction.value,
            "service": service,
            "at": iso(at),
            "as_of": iso(freshness.as_of),
            "stale": freshness.stale,
        }
    )
    return b"{" + head + b',"results":[' + b",".join(items) + b"]}"


def warm(view: CustomerView, now: datetime) -> None:
    """Prepare the parts of the questions most asked about a restricted customer (the
    CRM read, and an inbound phone check), so the first read after a load is as quick
    as the next. The parts are the ones any read would keep; nothing else changes."""
    if not view.markers:
        return
    restrictions_answer(view, now, Freshness(now, False))
    _check_part_for(view, Channel.PHONE, now, Direction.INBOUND, None, False)


_PROBLEM_HEADERS = (
    (b"content-type", PROBLEM_JSON.encode()),
    (b"cache-control", NO_STORE),
    _NOSNIFF,
)


def refusal_answer(refused: ProblemError, path: str) -> Answer:
    """A refusal (401, 403, 503) as the routes' problem handler gives it."""
    extra = tuple(
        (name.lower().encode(), value.encode()) for name, value in refused.headers.items()
    )
    return Answer(refused.status, _PROBLEM_HEADERS + extra, refused.body(path))
