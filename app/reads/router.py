"""The documented, canonical definition of the two reads and the batch check. The fast
layer (app/reads/fastpath.py) answers the plain forms of the two GETs with the same functions;
everything else arrives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response

from app.auth import Action, ActionContext, authorise
from app.domain.vocabulary import Channel, Direction
from app.problems import invalid, problem_responses
from app.reads.answers import (
    JSON,
    Answer,
    batch_answer,
    contact_check_answer,
    restrictions_answer,
)
from app.reads.contract import (
    CHECK,
    DEFAULT_DIRECTION,
    DEFAULT_FORMAT,
    DEFAULT_INCLUDE,
    FLAT_CHECK,
    IF_NONE_MATCH,
    IF_NONE_MATCH_LIMIT,
    RESTRICTIONS,
    ReadOperation,
    default_at,
)
from app.reads.marker_schemas import EXAMPLE_MARKER, RestrictionsOut
from app.reads.params import (
    AtParam,
    ChannelParam,
    CustomerRef,
    DirectionParam,
    ServiceParam,
    at_fault,
)
from app.reads.schemas import (
    MAX_BATCH,
    BatchCheckIn,
    BatchCheckOut,
    ContactCheckFlat,
    ContactCheckOut,
)
from app.snapshot.read_model import ReadModel

router = APIRouter(tags=["Contact checks"])


def only_params(operation: ReadOperation) -> Callable[[Request], None]:
    """A misspelt parameter would otherwise be ignored and change the answer silently."""
    allowed = operation.names

    def check(request: Request) -> None:
        for name in request.query_params:
            if name not in allowed:
                raise invalid(
                    f"query.{name}", f"unknown parameter; use {', '.join(sorted(allowed))}"
                )
        for name in allowed:
            if len(request.query_params.getlist(name)) > 1:
                raise invalid(f"query.{name}", "give this parameter once")

    return check


def to_response(answer: Answer) -> Response:
    return Response(
        content=answer.body,
        status_code=answer.status,
        headers={k.decode(): v.decode() for k, v in answer.headers},
    )


def reads(request: Request) -> ReadModel:
    model: ReadModel = request.app.state.reads
    return model


def clock(request: Request) -> Callable[[], datetime]:
    now: Callable[[], datetime] = request.app.state.clock
    return now


def checked_at(at: datetime | None, now: datetime, field: str = "query.at") -> datetime:
    if at is None:
        return default_at(now)
    fault = at_fault(at, now)
    if fault is not None:
        raise invalid(field, fault)
    return at


_RESTRICTIONS_EXAMPLE: dict[str, Any] = {
    "customer_ref": "DEMO-SCHEDULE",
    "restricted": True,
    "preferred_language": "cy",
    "markers": [EXAMPLE_MARKER],
    "allowed_channels": ["email", "letter", "in_person", "online", "social_media"],
    "single_point_of_contact": None,
    "as_of": "2026-11-24T12:00:01+00:00",
    "stale": False,
}


@router.get(
    RESTRICTIONS.template,
    summary="Read a customer's restrictions (the CRM read)",
    description=(
        "Markers in force now for the customer, each with a plain-English `summary` a call "
        "handler can read aloud, the channels still open, and the single point of contact. "
        "`include=all` lists every marker ever recorded (lifted, expired, scheduled) with "
        "what is in force still judged from the current ones. An unknown customer is not an "
        "error: it has no restrictions. Send `If-None-Match` with the ETag to get 304 when "
        "nothing changed. `as_of`/`stale` say how current the answer is: while the database "
        "cannot be reached the last confirmed state is answered with `stale: true`."
    ),
    response_model=None,
    responses={
        200: {
            "model": RestrictionsOut,
            "description": "The customer's restrictions.",
            "content": {"application/json": {"example": _RESTRICTIONS_EXAMPLE}},
            "headers": {"ETag": {"schema": {"type": "string"}, "description": "Weak validator."}},
        },
        304: {"description": "Not modified since the ETag given in If-None-Match."},
        **problem_responses(422, 503),
    },
    # The caller first, as every operation: no validation feedback for strangers.
    dependencies=[Depends(authorise(RESTRICTIONS.action)), Depends(only_params(RESTRICTIONS))],
)
async def read_restrictions(
    customer_ref: CustomerRef,
    request: Request,
    include: Annotated[
        Literal["current", "all"],
        Query(description="current: markers in force now; all: every marker with history."),
    ] = DEFAULT_INCLUDE,
    service: ServiceParam = None,
    if_none_match: Annotated[
        str | None,
        Header(
            alias=IF_NONE_MATCH,
            max_length=IF_NONE_MATCH_LIMIT,
            description="The ETag of an earlier answer: 304 if nothing changed since.",
        ),
    ] = None,
) -> Response:
    model = reads(request)
    now = clock(request)()
    view, freshness = await model.view(customer_ref, now)
    history = await model.history(customer_ref) if include == "all" else None
    return to_response(restrictions_answer(view, now, freshness, service, history, if_none_match))


_CHECK_DESCRIPTION = (
    "The telephony and CRM check before a contact. `outcome` is `allow`, `deny`, "
    "`route_to_contact` (allowed, via the named officer in `route_to`) or `read_and_file` "
    "(read for new issues, filed without acknowledgement). When several markers apply the "
    "most restrictive wins and every one is listed in `reasons`. `next_allowed_at` is the "
    "first instant at or after `at` when the channel opens again. `at` may be up to 31 days "
    "in the past (older: 422 naming the earliest allowed) and before 2200; in a query string "
    "write its offset's `+` as `%2B`, or use `Z`. A past `at` asks what the markers in force "
    "or scheduled now say about that instant, and what the quotas counted then; markers "
    "already ended or lifted are not considered."
)

_CHECK_EXAMPLE: dict[str, Any] = {
    "customer_ref": "DEMO-SCHEDULE",
    "channel": "phone",
    "direction": "inbound",
    "service": None,
    "at": "2026-11-24T12:00:00+00:00",
    "allowed": False,
    "outcome": "deny",
    "reasons": [
        {
            "marker_id": "8f0b4c1e-3f1c-4c55-9d59-0d6d3f1d2a11",
            "kind": "telephone_schedule",
            "message": "Outside the agreed call times. Telephone calls "
            "are taken only on Tuesday and Thursday 10:00 to 12:00.",
        }
    ],
    "next_allowed_at": "2026-11-26T10:00:00+00:00",
    "allowed_channels": ["email", "letter", "in_person", "online", "social_media"],
    "route_to": None,
    "preferred_language": "cy",
    "as_of": "2026-11-24T12:00:01+00:00",
    "stale": False,
}


@router.get(
    CHECK.template,
    summary="May this contact happen now, on this channel?",
    description=_CHECK_DESCRIPTION
    + " The same answer as a flat map of strings is at `/contact-check/flat`; "
    "`format=flat` on this path is kept as an alias of it for existing contact-centre "
    "flows (and `format=json` for this form).",
    response_model=None,
    responses={
        200: {
            "description": "The answer.",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ContactCheckOut"},
                    "example": _CHECK_EXAMPLE,
                }
            },
        },
        **problem_responses(422, 503),
    },
    # The caller first, as every operation: no validation feedback for strangers.
    dependencies=[Depends(authorise(CHECK.action)), Depends(only_params(CHECK))],
)
async def contact_check(
    customer_ref: CustomerRef,
    request: Request,
    channel: ChannelParam,
    at: AtParam = None,
    direction: DirectionParam = DEFAULT_DIRECTION,
    service: ServiceParam = None,
    # The alias is described in words, not declared: a declared choice of two shapes would
    # make every generated client's answer a union it cannot narrow.
    format: Annotated[Literal["json", "flat"], Query(include_in_schema=False)] = DEFAULT_FORMAT,
) -> Response:
    return await _check(request, customer_ref, channel, at, direction, service, format == "flat")


@router.get(
    FLAT_CHECK.template,
    summary="May this contact happen now? (flat map of strings)",
    description=_CHECK_DESCRIPTION
    + " This form gives the answer as one flat object of strings for contact-centre flows "
    "(Amazon Connect STRING_MAP, Genesys data actions): routing fields are codes, times "
    "come as ISO 8601 and epoch seconds, and absent values are empty strings.",
    response_model=None,
    responses={
        200: {
            "description": "The answer as a flat map of strings.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ContactCheckFlat"}}
            },
        },
        **problem_responses(422, 503),
    },
    # The caller first, as every operation: no validation feedback for strangers.
    dependencies=[Depends(authorise(FLAT_CHECK.action)), Depends(only_params(FLAT_CHECK))],
)
async def contact_check_flat(
    customer_ref: CustomerRef,
    request: Request,
    channel: ChannelParam,
    at: AtParam = None,
    direction: DirectionParam = DEFAULT_DIRECTION,
    service: ServiceParam = None,
) -> Response:
    return await _check(request, customer_ref, channel, at, direction, service, True)


async def _check(
    request: Request,
    customer_ref: str,
    channel: Channel,
    at: datetime | None,
    direction: Direction,
    service: str | None,
    flat: bool,
) -> Response:
    now = clock(request)()
    when = checked_at(at, now)
    view, freshness = await reads(request).view(customer_ref, now)
    answer = contact_check_answer(view, channel, when, freshness, direction, service, flat)
    request.app.state.metrics.count_outcome(answer.outcome, channel.value)
    return to_response(answer)


@router.post(
    "/contact-checks",
    summary="Check many customers at once (letter runs)",
    description=(
        f"Up to {MAX_BATCH} customers per request, for one channel, direction and time; the "
        "results come back in the order asked. For a larger run, split the list into pages of "
        f"at most {MAX_BATCH} and send them one after another (or two at a time), with the "
        "same `at` so every page is judged at the same instant. More than the limit: 422. "
        "For a letter run say `direction: outbound`: the council is contacting them."
    ),
    response_model=None,
    responses={
        200: {"model": BatchCheckOut, "description": "One result per customer, in order."},
        **problem_responses(400, 408, 413, 415, 422, 503),
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "channel": "letter",
                        "direction": "outbound",
                        "customer_refs": ["C0000001", "DEMO-SCHEDULE"],
                    }
                }
            }
        }
    },
)
async def batch_check(
    body: BatchCheckIn,
    request: Request,
    _: ActionContext = Depends(authorise(Action.CHECK_CONTACT)),
) -> Response:
    now = clock(request)()
    when = checked_at(body.at, now, "body.at")
    views, freshness = await reads(request).views(body.customer_refs, now)
    payload = batch_answer(views, body.channel, when, body.direction, body.service, freshness)
    return Response(payload, media_type=JSON.decode())


__all__ = ["ContactCheckFlat", "ContactCheckOut", "router"]
