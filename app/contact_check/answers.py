"""The one serialiser of the two reads and the batch check. The fast layer and the
FastAPI routes both call these functions, so their answers are the same bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from app.contact_check.rules import (
    CheckResult,
    allowed_channels,
    check_contact,
    single_point_of_contact,
)
from app.restrictions.details import SinglePointOfContactDetails
from app.restrictions.domain import Marker
from app.restrictions.kinds import Channel, Direction
from app.restrictions.mapping import iso, marker_json
from app.snapshot.state import CustomerView

JSON = b"application/json"
NO_STORE = b"no-store"
REVALIDATE = b"no-cache"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    outcome: str | None = None  # for the metrics; never sent


@dataclass(frozen=True, slots=True)
class Freshness:
    """When the data answered from was last confirmed current, and whether it still is."""

    as_of: datetime
    stale: bool


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


def _etag(content: dict[str, Any]) -> bytes:
    digest = hashlib.blake2b(orjson.dumps(content), digest_size=12).hexdigest()
    return b'W/"' + digest.encode() + b'"'


def etag_matches(if_none_match: str | None, etag: bytes) -> bool:
    """Weak comparison (RFC 9110 13.1.2): W/"x" matches "x" and W/"x"."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.decode().removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


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
    current = [m for m in view.markers if m.covers(service) and m.in_force(now)]
    listed = current if history is None else [m for m in history if m.covers(service)]
    content: dict[str, Any] = {
        "customer_ref": view.customer_ref,
        "restricted": bool(current),
        "preferred_language": view.preferred_language,
        "markers": [marker_json(m, now) for m in listed],
        "allowed_channels": _channels(
            allowed_channels(current, now, Direction.INBOUND, view.contacts)
        ),
        "single_point_of_contact": _officer(single_point_of_contact(current, now)),
    }
    etag = _etag(content)
    headers = ((b"etag", etag), (b"cache-control", REVALIDATE))
    if etag_matches(if_none_match, etag):
        return Answer(304, headers, b"")
    content["as_of"] = iso(freshness.as_of)
    content["stale"] = freshness.stale
    return Answer(200, ((b"content-type", JSON), *headers), orjson.dumps(content))


def _check_json(
    view: CustomerView,
    channel: Channel,
    at: datetime,
    direction: Direction,
    service: str | None,
    result: CheckResult,
    freshness: Freshness,
) -> dict[str, Any]:
    return {
        "customer_ref": view.customer_ref,
        "channel": channel.value,
        "direction": direction.value,
        "service": service,
        "at": iso(at),
        "allowed": result.allowed,
        "outcome": result.outcome.value,
        "reasons": [
            {"marker_id": r.marker_id, "kind": r.kind.value, "message": r.message}
            for r in result.reasons
        ],
        "next_allowed_at": iso(result.next_allowed_at),
        "allowed_channels": _channels(result.allowed_channels),
        "route_to": _officer(result.route_to),
        "preferred_language": view.preferred_language,
        "as_of": iso(freshness.as_of),
        "stale": freshness.stale,
    }


def _epoch(value: datetime | None) -> str:
    return "" if value is None else str(int(value.timestamp()))


def _flat(
    check: dict[str, Any], result: CheckResult, at: datetime, freshness: Freshness
) -> dict[str, str]:
    """The same answer as a flat map of strings, for contact-centre flows (Amazon Connect
    STRING_MAP). Routing fields are codes of letters, digits, dash and underscore; every
    time is given as ISO 8601 and as epoch seconds; absent values are empty strings."""
    officer = check["route_to"] or {}
    flat: dict[str, str] = {
        "customer_ref": check["customer_ref"],
        "channel": check["channel"],
        "direction": check["direction"],
        "service": check["service"] or "",
        "at": check["at"],
        "at_epoch": _epoch(at),
        "allowed": "true" if result.allowed else "false",
        "outcome": check["outcome"],
        "next_allowed_at": check["next_allowed_at"] or "",
        "next_allowed_at_epoch": _epoch(result.next_allowed_at),
        "allowed_channels": "-".join(check["allowed_channels"] or ["any"]),
        "route_to_officer_id": officer.get("officer_id") or "",
        "route_to_name": officer.get("name") or "",
        "route_to_phone": officer.get("phone") or "",
        "route_to_email": officer.get("email") or "",
        "preferred_language": check["preferred_language"] or "",
        "reason_count": str(len(result.reasons)),
        "message": " ".join(r.message for r in result.reasons),
        "as_of": check["as_of"],
        "as_of_epoch": _epoch(freshness.as_of),
        "stale": "true" if freshness.stale else "false",
    }
    for i, reason in enumerate(result.reasons, start=1):
        flat[f"reason_{i}_kind"] = reason.kind.value
        flat[f"reason_{i}_marker_id"] = reason.marker_id
        flat[f"reason_{i}_message"] = reason.message
    return flat


def contact_check_answer(
    view: CustomerView,
    channel: Channel,
    at: datetime,
    freshness: Freshness,
    direction: Direction = Direction.INBOUND,
    service: str | None = None,
    flat: bool = False,
) -> Answer:
    """GET /customers/{ref}/contact-check."""
    result = check_contact(view.markers, channel, at, direction, service, view.contacts)
    check = _check_json(view, channel, at, direction, service, result, freshness)
    body = orjson.dumps(_flat(check, result, at, freshness) if flat else check)
    headers = ((b"content-type", JSON), (b"cache-control", NO_STORE))
    return Answer(200, headers, body, result.outcome.value)


def batch_item(
    view: CustomerView, channel: Channel, at: datetime, direction: Direction, service: str | None
) -> dict[str, Any]:
    result = check_contact(view.markers, channel, at, direction, service, view.contacts)
    return {
        "customer_ref": view.customer_ref,
        "allowed": result.allowed,
        "outcome": result.outcome.value,
        "reasons": [
            {"marker_id": r.marker_id, "kind": r.kind.value, "message": r.message}
            for r in result.reasons
        ],
        "next_allowed_at": iso(result.next_allowed_at),
        "allowed_channels": _channels(result.allowed_channels),
        "route_to": _officer(result.route_to),
        "preferred_language": view.preferred_language,
    }
