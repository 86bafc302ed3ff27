"""What each event carries: thin, so that a webhook or the feed never holds personal data
beyond the customer's reference. Ids, kinds, times and the terms that changed, with a
link to the resource; never the reason, the note, a detail's text or anyone's name. A
receiver that needs more reads the linked resource with its own token."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain.events.types import EventType
from app.domain.markers import Marker
from app.domain.time.london import to_london


@dataclass(frozen=True, slots=True)
class Occurrence:
    """An event about to be recorded: its type, when it happened, and its thin data. The
    outbox gives it an id and the customer's next sequence number."""

    type: EventType
    at: datetime
    data: dict[str, Any]
    # Set for an event that may be recorded only once for this resource (an expiry).
    once_for: uuid.UUID | None = None


def _instant(value: datetime | None) -> str | None:
    return None if value is None else to_london(value).isoformat()


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def marker_terms(marker: Marker) -> dict[str, Any]:
    return {
        "marker_id": marker.id,
        "kind": marker.kind.value,
        "version": marker.version,
        "starts_at": _instant(marker.starts_at),
        "ends_at": _instant(marker.ends_at),
        "review_due": _day(marker.review_due),
        # Which services is staff's wording; whether it is council-wide is enough to act on.
        "whole_council": marker.services is None,
        "lifted_at": _instant(marker.lifted_at),
        "link": f"/markers/{marker.id}",
    }


def marker_changed(event_type: EventType, marker: Marker, at: datetime) -> Occurrence:
    return Occurrence(event_type, at, marker_terms(marker))


def marker_expired(marker: Marker) -> Occurrence:
    """At the marker's end, which it must have."""
    if marker.ends_at is None:
        raise ValueError("a marker without an end does not expire")
    return Occurrence(
        EventType.MARKER_EXPIRED,
        marker.ends_at,
        marker_terms(marker),
        once_for=uuid.UUID(marker.id),
    )


def decision_recorded(
    decision_id: uuid.UUID,
    step: str,
    incident_ids: Sequence[uuid.UUID],
    marker_ids: Sequence[uuid.UUID],
    review_due: date | None,
    at: datetime,
) -> Occurrence:
    return Occurrence(
        EventType.DECISION_RECORDED,
        at,
        {
            "decision_id": str(decision_id),
            "step": step,
            "incident_ids": [str(i) for i in incident_ids],
            "marker_ids": [str(m) for m in marker_ids],
            "review_due": _day(review_due),
            "link": f"/decisions/{decision_id}",
        },
    )


def record_changed(
    decision_id: uuid.UUID,
    version: int,
    step: str,
    about_id: uuid.UUID | None,
    details: dict[str, Any],
    corrected: bool,
    at: datetime,
) -> Occurrence:
    """A version of a decision record other than a step's first (which is
    `decision_recorded`): its kind from the step and the version, and the codes a
    receiver routes on (an outcome, a state, lateness), never the reasons or grounds."""
    data: dict[str, Any] = {
        "decision_id": str(decision_id),
        "version": version,
        "step": step,
        "about_id": None if about_id is None else str(about_id),
        "link": f"/decisions/{decision_id}",
    }
    if corrected:
        kind = EventType.DECISION_CORRECTED
    elif step == "review":
        kind = EventType.REVIEW_RECORDED
        data["outcome"] = details.get("outcome")
        data["applied"] = details.get("applied")
    elif step == "appeal" and "outcome" in details:
        kind = EventType.APPEAL_DECIDED
        data["outcome"] = details["outcome"]
    elif step == "appeal":
        kind = EventType.APPEAL_LODGED
        data["deadline"] = details.get("deadline")
        data["late"] = details.get("late")
        route = details.get("route")
        data["decided_by_role"] = route.get("role") if isinstance(route, dict) else None
    else:
        kind = EventType.DECISION_RECORDED
    return Occurrence(kind, at, data)


# once_for of review events: one per decision, review date and kind, whichever replica.
_REVIEWS = uuid.UUID("6f0e2f0c-64a3-4c55-9b8a-2f7e0f3d9a11")


def review_reached(
    event_type: EventType, decision_id: uuid.UUID, review_due: date, at: datetime
) -> Occurrence:
    """`review.due` at the first instant of the review date, `review.overdue` at the first
    instant after it, for the decision's current review date."""
    if event_type not in (EventType.REVIEW_DUE, EventType.REVIEW_OVERDUE):
        raise ValueError(f"{event_type} is not a review date's event")
    return Occurrence(
        event_type,
        at,
        {
            "decision_id": str(decision_id),
            "review_due": review_due.isoformat(),
            "link": f"/decisions/{decision_id}",
        },
        once_for=uuid.uuid5(_REVIEWS, f"{decision_id}:{event_type.value}:{review_due}"),
    )


def incident_recorded(
    incident_id: uuid.UUID,
    category: str,
    behaviours: Sequence[str],
    channel: str,
    occurred_at: datetime,
    at: datetime,
) -> Occurrence:
    return Occurrence(
        EventType.INCIDENT_RECORDED,
        at,
        {
            "incident_id": str(incident_id),
            "category": category,
            "behaviours": list(behaviours),
            "channel": channel,
            "occurred_at": _instant(occurred_at),
            "link": f"/incidents/{incident_id}",
        },
    )


def preferences_changed(
    customer_ref: str, preferred_language: str | None, at: datetime
) -> Occurrence:
    return Occurrence(
        EventType.PREFERENCES_CHANGED,
        at,
        {
            "preferred_language": preferred_language,
            "link": f"/customers/{customer_ref}/restrictions",
        },
    )
