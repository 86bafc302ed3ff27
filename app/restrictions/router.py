"""Recording restrictions: impose, vary, lift, read one with its history; a customer's
preferred language; the contacts a quota counts. Thin: parse, call the service, shape."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Response

from app.auth import Action, ActionContext, authorise
from app.deps import Now, Precondition, Profile, WriteSession, tag
from app.domain.markers import Marker
from app.problems import problem_responses
from app.reads.marker_json import iso, marker_json, state_json
from app.reads.marker_schemas import MarkerOut, MarkerWithHistory
from app.reads.params import CustomerRef
from app.restrictions import service
from app.restrictions.schemas import (
    ContactOut,
    CustomerOut,
    CustomerPreferences,
    ImposeMarker,
    LiftMarker,
    RecordContact,
    VaryMarker,
)

router = APIRouter(tags=["Restrictions"])

MarkerId = Annotated[uuid.UUID, Path(description="The marker's id.")]


def _out(marker: Marker, at: datetime) -> dict[str, Any]:
    return marker_json(marker, at)


_IMPOSE_EXAMPLES = {
    "telephone_suspension": {
        "summary": "One-day telephone restriction after a terminated call",
        "value": {
            "kind": "telephone_suspension",
            "reason": "Abusive language continued after the call was terminated yesterday.",
        },
    },
    "telephone_schedule": {
        "summary": "Calls on Tuesdays and Thursdays, 10:00 to 12:00",
        "value": {
            "kind": "telephone_schedule",
            "details": {
                "windows": [{"days": ["tuesday", "thursday"], "start": "10:00", "end": "12:00"}],
                "max_call_minutes": 15,
            },
            "reason": "Excessive calls to several teams.",
        },
    },
    "channel_limit": {
        "summary": "Email and letter only, Housing only",
        "value": {
            "kind": "channel_limit",
            "details": {"channels": ["email", "letter"]},
            "services": ["Housing"],
            "reason": "Threatening behaviour at the housing office.",
        },
    },
    "single_point_of_contact": {
        "summary": "A single point of contact",
        "value": {
            "kind": "single_point_of_contact",
            "details": {
                "officer_id": "EMP-1042",
                "name": "Alex Jones",
                "email": "alex.jones@example.gov.uk",
            },
            "reason": "Contacting many officers about the same matter.",
        },
    },
}


@router.post(
    "/customers/{customer_ref}/markers",
    status_code=201,
    summary="Impose a restriction marker",
    description=(
        "Records a restriction of one kind with its details. Formal restrictions (every kind "
        "but `telephone_suspension`) are reviewed no more than six calendar months after the "
        "decision: `review_due` defaults to that latest date. Under the Flintshire profile a "
        "telephone suspension with no `ends_at` lasts 24 hours; under Wrexham it must give "
        "`ends_at`. `contact_quota` is a Wrexham restriction. Omit `services` for a "
        "council-wide marker. A marker of a kind already in force or scheduled for the "
        "customer over overlapping services and time (quotas: on the same channel; social "
        "media blocks: of the same account) is a 409 naming that marker: vary it instead, or "
        'send `"additional": true` to impose a second one on purpose.'
    ),
    response_model=MarkerOut,
    responses=problem_responses(400, 408, 409, 413, 422, 503),
)
async def impose_marker(
    customer_ref: CustomerRef,
    body: Annotated[ImposeMarker, Body(openapi_examples=_IMPOSE_EXAMPLES)],
    db: WriteSession,
    at: Now,
    profile: Profile,
    response: Response,
    context: ActionContext = Depends(authorise(Action.IMPOSE_MARKER)),
) -> dict[str, Any]:
    marker = await service.impose_marker(
        db, context.acting_for(body.on_behalf_of), profile, customer_ref, body, at
    )
    tag(response, marker.version)
    return _out(marker, at)


@router.get(
    "/markers/{marker_id}",
    summary="Read a marker with its history",
    description="The marker as it stands, and every version it has had (imposed, varied, "
    "lifted) with who recorded it, when and why.",
    response_model=MarkerWithHistory,
    responses=problem_responses(404, 422, 503),
)
async def read_marker(
    marker_id: MarkerId,
    db: WriteSession,
    at: Now,
    response: Response,
    _: ActionContext = Depends(authorise(Action.READ_MARKER)),
) -> dict[str, Any]:
    marker, versions = await service.get_marker(db, marker_id)
    tag(response, marker.version)
    out = _out(marker, at)
    out["history"] = [
        {
            "version": v.version,
            "action": v.action,
            "recorded_at": iso(v.recorded_at),
            "recorded_by": v.recorded_by,
            "recorded_by_name": v.recorded_by_name,
            "on_behalf_of": v.on_behalf_of,
            "note": v.note,
            "state": state_json(v.state),
        }
        for v in versions
    ]
    return out


@router.post(
    "/markers/{marker_id}/variations",
    summary="Vary a marker",
    description=(
        "Changes a marker's terms (details, scope, start, end, review date). The previous "
        "version stays in its history. Give `If-Match` with the ETag you read (412 "
        "otherwise) or `expected_version` (409 otherwise) to change only the version you "
        "read. Lifted or expired markers cannot be varied."
    ),
    response_model=MarkerOut,
    responses=problem_responses(400, 404, 408, 409, 412, 413, 422, 503),
)
async def vary_marker(
    marker_id: MarkerId,
    body: VaryMarker,
    db: WriteSession,
    at: Now,
    profile: Profile,
    if_match: Precondition,
    response: Response,
    context: ActionContext = Depends(authorise(Action.VARY_MARKER)),
) -> dict[str, Any]:
    marker = await service.vary_marker(
        db, context.acting_for(body.on_behalf_of), profile, marker_id, body, at, if_match
    )
    tag(response, marker.version)
    return _out(marker, at)


@router.post(
    "/markers/{marker_id}/lift",
    summary="Lift a marker",
    description="Ends the restriction at once. The marker is kept, with who lifted it and "
    "why. Give `If-Match` with the ETag you read to lift only that version (412 otherwise).",
    response_model=MarkerOut,
    responses=problem_responses(400, 404, 408, 409, 412, 413, 422, 503),
)
async def lift_marker(
    marker_id: MarkerId,
    body: LiftMarker,
    db: WriteSession,
    at: Now,
    if_match: Precondition,
    response: Response,
    context: ActionContext = Depends(authorise(Action.LIFT_MARKER)),
) -> dict[str, Any]:
    marker = await service.lift_marker(
        db, context.acting_for(body.on_behalf_of), marker_id, body, at, if_match
    )
    tag(response, marker.version)
    return _out(marker, at)


@router.put(
    "/customers/{customer_ref}",
    summary="Set a customer's preferred language",
    description="`cy` routes a restricted caller to Welsh-speaking staff and letters in Welsh.",
    response_model=CustomerOut,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def set_preferences(
    customer_ref: CustomerRef,
    body: CustomerPreferences,
    db: WriteSession,
    at: Now,
    context: ActionContext = Depends(authorise(Action.SET_PREFERENCES)),
) -> dict[str, Any]:
    await service.set_preferences(db, context, customer_ref, body, at)
    return {"customer_ref": customer_ref, "preferred_language": body.preferred_language}


@router.post(
    "/customers/{customer_ref}/contacts",
    status_code=201,
    summary="Record a contact the customer made",
    description="Counted by any `contact_quota` marker on that channel.",
    response_model=ContactOut,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def record_contact(
    customer_ref: CustomerRef,
    body: RecordContact,
    db: WriteSession,
    at: Now,
    context: ActionContext = Depends(authorise(Action.RECORD_CONTACT)),
) -> dict[str, Any]:
    row = await service.record_contact(
        db, context.acting_for(body.on_behalf_of), customer_ref, body, at
    )
    return {
        "id": row.id,
        "customer_ref": row.customer_ref,
        "channel": row.channel,
        "occurred_at": iso(row.occurred_at),
        "recorded_by": row.recorded_by,
        "recorded_by_name": row.recorded_by_name,
        "on_behalf_of": row.on_behalf_of,
        "recorded_at": iso(row.recorded_at),
    }
