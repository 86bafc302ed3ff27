"""Incidents: what happened, recorded by the staff who saw it, read back newest first.
Thin: parse, call the service, shape."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from app.auth import Action, ActionContext, authorise
from app.deps import Lifecycle, Now, Profile, WriteSession, tag
from app.incidents import service
from app.incidents.schemas import IncidentList, IncidentOut, RecordIncident
from app.problems import problem_responses
from app.reads.params import CustomerRef

router = APIRouter(tags=["Incidents"])

IncidentId = Annotated[uuid.UUID, Path(description="The incident's id.")]


@router.post(
    "/customers/{customer_ref}/incidents",
    status_code=201,
    summary="Record an incident",
    description=(
        "Records what happened, as the policy's codes: the behaviour `category` and the "
        "`behaviours` of it the council's policy lists (Wrexham has no `social_media` "
        "category, and adds `excessive_online_reports` and `excessive_office_visits`), the "
        "channel, when (not in the future), the service, the staff involved and a short "
        "factual note, which is kept but never logged. A social-media incident is on the "
        "`social_media` channel and gives its `social_media_outcome` (Flintshire Appendix "
        "2); no other incident gives one. A `threat_of_violence` or `harassment`, or a "
        "social-media `threat`, gives `police_reported_at` with `police_reference`, or "
        "`police_not_reported_reason`. A rule of the policy broken is a 422 "
        "policy-violation naming each field at fault. Who recorded it is the token's "
        "subject; a machine client names the member of staff it records for in "
        "`on_behalf_of`. An incident is never changed: a correction will be a new version."
    ),
    response_model=IncidentOut,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def record_incident(
    customer_ref: CustomerRef,
    body: RecordIncident,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    response: Response,
    context: ActionContext = Depends(authorise(Action.RECORD_INCIDENT)),
) -> dict[str, Any]:
    row = await service.record_incident(
        db,
        context.acting_for(body.on_behalf_of),
        profile,
        lifecycle,
        customer_ref,
        body,
        at,
    )
    tag(response, row.version)
    return service.incident_json(row)


@router.get(
    "/customers/{customer_ref}/incidents",
    summary="A customer's incidents",
    description="Every incident recorded for the customer, newest first (by when it "
    "happened), each as its latest version. None is an empty list, not an error.",
    response_model=IncidentList,
    responses=problem_responses(422, 503),
)
async def list_incidents(
    customer_ref: CustomerRef,
    db: WriteSession,
    _: ActionContext = Depends(authorise(Action.READ_INCIDENTS)),
) -> dict[str, Any]:
    rows = await service.list_incidents(db, customer_ref)
    return {"customer_ref": customer_ref, "incidents": [service.incident_json(r) for r in rows]}


@router.get(
    "/incidents/{incident_id}",
    summary="Read an incident",
    description="One incident, as its latest version.",
    response_model=IncidentOut,
    responses=problem_responses(404, 422, 503),
)
async def read_incident(
    incident_id: IncidentId,
    db: WriteSession,
    response: Response,
    _: ActionContext = Depends(authorise(Action.READ_INCIDENTS)),
) -> dict[str, Any]:
    row = await service.get_incident(db, incident_id)
    tag(response, row.version)
    return service.incident_json(row)
