"""Between stored rows and the pure `Marker`, and from a `Marker` to its JSON form."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timezone
from enum import Enum
from typing import Annotated, Any, get_args

import orjson
from pydantic import BaseModel, PlainSerializer, ValidationError, WithJsonSchema

from app.contact_check.london import LONDON
from app.restrictions import details as d
from app.restrictions.domain import Marker
from app.restrictions.kinds import MarkerKind, MarkerStatus
from app.wording.catalogue import render_summary

log = logging.getLogger(__name__)

DETAILS_MODEL: dict[MarkerKind, type[d.MarkerDetails]] = {
    MarkerKind.TELEPHONE_SUSPENSION: d.TelephoneSuspensionDetails,
    MarkerKind.CHANNEL_LIMIT: d.ChannelLimitDetails,
    MarkerKind.TELEPHONE_SCHEDULE: d.TelephoneScheduleDetails,
    MarkerKind.SINGLE_POINT_OF_CONTACT: d.SinglePointOfContactDetails,
    MarkerKind.BEHAVIOUR_CONTRACT: d.BehaviourContractDetails,
    MarkerKind.READ_AND_FILE: d.ReadAndFileDetails,
    MarkerKind.CONTACT_QUOTA: d.ContactQuotaDetails,
    MarkerKind.SOCIAL_MEDIA_BLOCK: d.SocialMediaBlockDetails,
}


def parse_details(kind: MarkerKind, raw: Mapping[str, Any]) -> d.MarkerDetails:
    return DETAILS_MODEL[kind].model_validate(raw)


def stored_details(kind: MarkerKind, raw: Mapping[str, Any], marker_id: object) -> d.MarkerDetails:
    """Details as stored. They were valid when written; if a later release tightened the
    rules, the restriction still stands (dropping it would open a channel that should be
    closed), so it is loaded as recorded and the mismatch is logged for a data fix."""
    try:
        return parse_details(kind, raw)
    except ValidationError:
        log.error("stored marker %s no longer validates; loaded as recorded", marker_id)
        details: d.MarkerDetails = _construct(DETAILS_MODEL[kind], raw)
        return details


def _construct(model: type[BaseModel], raw: Mapping[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name not in raw:
            continue
        values[name] = _coerce(field.annotation, raw[name])
    return model.model_construct(**values)


def _coerce(annotation: Any, value: Any) -> Any:
    """Rebuild nested models, enums and tuples, as validation would, without the checks."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation(value) if value in annotation._value2member_map_ else value
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _construct(annotation, value) if isinstance(value, dict) else value
    args = [a for a in get_args(annotation) if a is not Ellipsis and a is not type(None)]
    if isinstance(value, list):
        item = args[0] if args else Any
        return tuple(_coerce(item, v) for v in value)
    for arg in args:
        coerced = _coerce(arg, value)
        if coerced is not value:
            return coerced
    return value


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


def marker_from_row(row: Mapping[str, Any]) -> Marker:
    """From a `markers` row (or a stored version's state) to the pure value."""
    kind = MarkerKind(row["kind"])
    services = row["services"]
    return Marker(
        id=str(row["id"]),
        customer_ref=row["customer_ref"],
        kind=kind,
        details=stored_details(kind, row["details"], row["id"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        review_due=row["review_due"],
        services=tuple(services) if services is not None else None,
        reason=row["reason"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        version=row["version"],
        lifted_at=row["lifted_at"],
        lifted_by=row["lifted_by"],
        lift_reason=row["lift_reason"],
    )


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


def stored_state(marker: Marker) -> dict[str, Any]:
    """What a version row keeps: the marker's columns at that version, in UTC."""
    return {
        "id": marker.id,
        "customer_ref": marker.customer_ref,
        "kind": marker.kind.value,
        "details": marker.details.model_dump(mode="json"),
        "services": list(marker.services) if marker.services is not None else None,
        "starts_at": marker.starts_at.isoformat(),
        "ends_at": marker.ends_at.isoformat() if marker.ends_at else None,
        "review_due": iso_date(marker.review_due),
        "reason": marker.reason,
        "created_by": marker.created_by,
        "created_at": marker.created_at.isoformat(),
        "version": marker.version,
        "lifted_at": marker.lifted_at.isoformat() if marker.lifted_at else None,
        "lifted_by": marker.lifted_by,
        "lift_reason": marker.lift_reason,
    }
