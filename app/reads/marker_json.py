"""A `Marker` as the API shows it, and every instant the API writes: the one serialiser
both read paths and the write responses use."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Annotated, Any

import orjson
from pydantic import PlainSerializer, WithJsonSchema

from app.domain.markers import Marker
from app.domain.time.london import LONDON
from app.domain.vocabulary import MarkerStatus
from app.wording.catalogue import render_summary

log = logging.getLogger(__name__)


def iso(value: datetime | None) -> str | None:
    """Every instant the API writes: ISO 8601, whole seconds, in London time with the
    offset London had at that instant (`+00:00` in winter, `+01:00` in summer)."""
    if value is None:
        return None
    # London's offset changes only on the hour (UTC), so it is looked up once an hour:
    # zoneinfo's own conversion costs more than the rest of a fast read.
    hour = int(value.timestamp() // 3600)
    zone = _HOUR_ZONES.get(hour)
    if zone is None:
        offset = value.astimezone(LONDON).utcoffset()
        assert offset is not None
        zone = _HOUR_ZONES.setdefault(hour, timezone(offset))
        if len(_HOUR_ZONES) > 10_000:
            _HOUR_ZONES.clear()
    # orjson writes RFC 3339 exactly as isoformat() does, several times faster; the
    # fraction is dropped rather than rounded, so an instant is never shown as later.
    return orjson.dumps(value.astimezone(zone), option=orjson.OPT_OMIT_MICROSECONDS)[1:-1].decode()


_HOUR_ZONES: dict[int, timezone] = {}


def _iso_json(value: datetime) -> str:
    text = iso(value)
    assert text is not None
    return text


# An instant in a response model: pydantic on its own writes UTC as `Z` and keeps any
# other offset as given, so the writes would disagree with the reads, which use `iso`.
LondonInstant = Annotated[
    datetime,
    PlainSerializer(_iso_json, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601, whole seconds, with London's offset at that instant.",
        }
    ),
]


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def marker_json(marker: Marker, now: datetime) -> dict[str, Any]:
    """The marker as every read shows it (MarkerOut)."""
    return {
        "id": marker.id,
        "customer_ref": marker.customer_ref,
        "kind": marker.kind.value,
        "status": marker.status(now).value,
        "summary": render_summary(marker),
        "details": marker.details.model_dump(mode="json"),
        "services": list(marker.services) if marker.services is not None else None,
        "starts_at": iso(marker.starts_at),
        "ends_at": iso(marker.ends_at),
        "review_due": iso_date(marker.review_due),
        "reason": marker.reason,
        "created_by": marker.created_by,
        "created_at": iso(marker.created_at),
        "version": marker.version,
        "lifted_at": iso(marker.lifted_at),
        "lifted_by": marker.lifted_by,
        "lift_reason": marker.lift_reason,
    }


_marker_parts: dict[tuple[str, int], tuple[bytes, bytes]] = {}


_STATUS = {status: orjson.dumps(status.value) for status in MarkerStatus}


def marker_bytes(marker: Marker, now: datetime) -> bytes:
    """`marker_json` serialised, from parts kept per marker version: only the status
    depends on the time, and formatting a marker costs more than the rest of a read."""
    key = (marker.id, marker.version)
    parts = _marker_parts.get(key)
    if parts is None:
        whole = marker_json(marker, now)
        head = {k: whole[k] for k in ("id", "customer_ref", "kind")}
        tail = {k: v for k, v in whole.items() if k not in head and k != "status"}
        parts = (orjson.dumps(head)[:-1] + b',"status":', b"," + orjson.dumps(tail)[1:])
        if len(_marker_parts) >= 500_000:
            _marker_parts.clear()
        _marker_parts[key] = parts
    return parts[0] + _STATUS[marker.status(now)] + parts[1]


_STATE_INSTANTS = ("starts_at", "ends_at", "created_at", "lifted_at")


def state_json(state: Mapping[str, Any]) -> dict[str, Any]:
    """A stored version's state as the API shows it. The record stays as written (UTC);
    only its instants are rendered, as every other instant is, in London time."""
    shown = dict(state)
    for key in _STATE_INSTANTS:
        value = shown.get(key)
        if isinstance(value, str):
            try:
                shown[key] = iso(datetime.fromisoformat(value))
            except ValueError:
                log.error("stored marker state has an unreadable %s; shown as recorded", key)
    return shown
