"""`GET /events`: every published event in feed order, after a cursor. The feed order is
commit order (the dispatcher numbers events as they commit), so a poller that keeps the
last cursor misses nothing, and each customer's events come in their sequence order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.auth import Action, ActionContext, authorise
from app.deps import WriteSession
from app.domain.events.cloudevent import envelope
from app.domain.events.types import CLOUDEVENTS_TYPE_PATTERN, EventType
from app.persistence.outbox import event_of
from app.persistence.tables import OutboxEventRow
from app.problems import problem_responses
from app.reads.contract import CUSTOMER_REF_MAX

router = APIRouter(tags=["Events"])


class CloudEvent(BaseModel):
    specversion: str
    id: str
    source: str
    type: str
    subject: str = Field(description="The customer's reference.")
    time: str
    datacontenttype: str
    partitionkey: str = Field(description="The customer's reference (CloudEvents partitioning).")
    sequence: str = Field(
        description="The event's place among the customer's events, zero-padded: compare "
        "as strings or numbers."
    )
    data: dict[str, Any]


EXAMPLE_EVENT: dict[str, Any] = {
    "specversion": "1.0",
    "id": "0b9e6d1c-58a4-4f7e-8c3d-2a1b0c9d8e7f",
    "source": "urn:contact-restrictions:flintshire",
    "type": "contactrestrictions.marker.imposed",
    "subject": "C-100234",
    "time": "2026-07-01T09:31:00+01:00",
    "datacontenttype": "application/json",
    "partitionkey": "C-100234",
    "sequence": "00000000000000000004",
    "data": {
        "marker_id": "5d2f9a7e-0c41-4b8e-a3f6-7e9b1c2d3a4f",
        "kind": "telephone_schedule",
        "version": 1,
        "starts_at": "2026-07-01T09:31:00+01:00",
        "ends_at": None,
        "review_due": "2026-12-30",
        "whole_council": True,
        "lifted_at": None,
        "link": "/markers/5d2f9a7e-0c41-4b8e-a3f6-7e9b1c2d3a4f",
    },
}


class EventPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"events": [EXAMPLE_EVENT], "next": "1187"}]}
    )

    events: list[CloudEvent]
    next: str = Field(
        description="Give as `after` next time: the cursor after the last event here (the "
        "same cursor when there was none)."
    )


@router.get(
    "/events",
    summary="The event feed",
    description=(
        "Events as CloudEvents, in commit order, after the cursor `after` (left out: from "
        "the start). Filter by `customer_ref` and `type`. Keep `next` and ask again: "
        "nothing committed is skipped, and each customer's events come in `sequence` "
        "order. The same events, with the same ids, as the webhooks carry."
    ),
    response_model=EventPage,
    responses=problem_responses(422, 503),
)
async def event_feed(
    request: Request,
    db: WriteSession,
    after: Annotated[
        str | None,
        Query(pattern="^[0-9]{1,18}$", description="The `next` of the page before."),
    ] = None,
    customer_ref: Annotated[str | None, Query(min_length=1, max_length=CUSTOMER_REF_MAX)] = None,
    type: Annotated[
        str | None,
        Query(
            pattern=CLOUDEVENTS_TYPE_PATTERN,
            description="One CloudEvents type, e.g. contactrestrictions.marker.lifted.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    _: ActionContext = Depends(authorise(Action.READ_EVENTS)),
) -> dict[str, Any]:
    cursor = 0 if after is None else int(after)
    query = (
        select(OutboxEventRow)
        .where(OutboxEventRow.feed_position.is_not(None), OutboxEventRow.feed_position > cursor)
        .order_by(OutboxEventRow.feed_position)
        .limit(limit)
    )
    if customer_ref is not None:
        query = query.where(OutboxEventRow.customer_ref == customer_ref)
    if type is not None:
        query = query.where(OutboxEventRow.type == EventType.from_cloudevents_type(type).value)
    rows = list(await db.scalars(query))
    source: str = request.app.state.event_source
    last = rows[-1].feed_position if rows else cursor
    return {"events": [envelope(event_of(r), source) for r in rows], "next": str(last)}
