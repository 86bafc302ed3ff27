"""Between a `markers` row (or a stored version's state) and the pure `Marker`: the one
place that knows the marker's columns. Everything else takes them from here."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from enum import Enum
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from app.domain import details as d
from app.domain.markers import Marker
from app.domain.vocabulary import MarkerKind

log = logging.getLogger(__name__)

# The columns of a marker row, in the order the tables, the queries and the bench's COPY use.
MARKER_COLUMNS: tuple[str, ...] = (
    "id",
    "customer_ref",
    "kind",
    "details",
    "services",
    "starts_at",
    "ends_at",
    "review_due",
    "reason",
    "created_by",
    "created_at",
    "version",
    "lifted_at",
    "lifted_by",
    "lift_reason",
)


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
        "review_due": marker.review_due.isoformat() if marker.review_due else None,
        "reason": marker.reason,
        "created_by": marker.created_by,
        "created_at": marker.created_at.isoformat(),
        "version": marker.version,
        "lifted_at": marker.lifted_at.isoformat() if marker.lifted_at else None,
        "lifted_by": marker.lifted_by,
        "lift_reason": marker.lift_reason,
    }


def marker_row(marker: Marker) -> dict[str, Any]:
    """The row values of a marker, for an insert or an update."""
    return {
        "id": uuid.UUID(marker.id),
        "customer_ref": marker.customer_ref,
        "kind": marker.kind.value,
        "details": marker.details.model_dump(mode="json"),
        "services": list(marker.services) if marker.services is not None else None,
        "starts_at": marker.starts_at,
        "ends_at": marker.ends_at,
        "review_due": marker.review_due,
        "reason": marker.reason,
        "created_by": marker.created_by,
        "created_at": marker.created_at,
        "version": marker.version,
        "lifted_at": marker.lifted_at,
        "lifted_by": marker.lifted_by,
        "lift_reason": marker.lift_reason,
    }
