"""The change recorder: every write ends here, inside its own transaction.

It keeps the version row of a changed marker (its history), writes the change's event to
the outbox (app/persistence/outbox.py; app/webhooks relays it), and announces the change
with NOTIFY, so that every replica's snapshot follows. NOTIFY is delivered only if the
transaction commits, and after it does. The audit log joins here, in the same
transaction, when it arrives (docs/architecture.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.domain.events.payloads import Occurrence, marker_changed
from app.domain.events.types import EventType
from app.domain.markers import Marker
from app.persistence import outbox
from app.persistence.marker_rows import stored_state
from app.persistence.tables import MarkerVersionRow

CHANGES_CHANNEL = "crs_changes"


class MarkerAction(StrEnum):
    IMPOSED = "imposed"
    VARIED = "varied"
    LIFTED = "lifted"

    @property
    def event_type(self) -> EventType:
        return _MARKER_EVENTS[self]


_MARKER_EVENTS = {
    MarkerAction.IMPOSED: EventType.MARKER_IMPOSED,
    MarkerAction.VARIED: EventType.MARKER_VARIED,
    MarkerAction.LIFTED: EventType.MARKER_LIFTED,
}


@dataclass(frozen=True, slots=True)
class MarkerChange:
    """A marker as it stands after an action, and why the action was taken."""

    marker: Marker
    action: MarkerAction
    note: str


async def record_change(
    session: AsyncSession,
    context: ActionContext,
    customer_ref: str,
    at: datetime,
    change: MarkerChange | None = None,
    event: Occurrence | None = None,
) -> None:
    """Record what changed for one customer: the marker's new version with who acted (from
    the action's context) and why, its event in the outbox, then the announcement. A change
    with no marker (a preference, an incident, a decision record) gives its own `event`;
    one with neither (a recorded contact) is only announced."""
    if change is not None:
        marker = change.marker
        session.add(
            MarkerVersionRow(
                marker_id=uuid.UUID(marker.id),
                version=marker.version,
                action=change.action.value,
                recorded_at=at,
                recorded_by=context.actor,
                recorded_by_name=context.actor_name,
                on_behalf_of=context.on_behalf_of,
                note=change.note,
                state=stored_state(marker),
            )
        )
        if event is None:
            event = marker_changed(change.action.event_type, marker, at)
    await outbox.append(session, customer_ref, event, CHANGES_CHANNEL)
    recorded = session.info.setdefault(_CHANGED, {}).setdefault(customer_ref, [])
    if change is not None:
        recorded.append(change.marker)


_CHANGED = "changed_customers"


def changed_customers(session: AsyncSession) -> dict[str, list[Marker]]:
    """The customers whose changes this session recorded, in the order first recorded,
    each with the markers as the changes left them."""
    changed: dict[str, list[Marker]] = session.info.get(_CHANGED, {})
    return changed
