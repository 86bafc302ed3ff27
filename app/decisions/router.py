"""The escalation ladder as decision records, and the case file. One operation per step, so
that the matrix rules on each; thin: parse, call the service, shape."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from app.auth import Action, ActionContext, authorise
from app.decisions import case_file, chief_officer, corrections, formal_decision, ladder
from app.decisions.schemas import (
    ChiefOfficerAdvice,
    CorrectDecision,
    DecisionList,
    DecisionOut,
    DecisionWithLinks,
    MakeFormalDecision,
    RecordCallWarning,
    Refer,
    ReferToChiefOfficer,
    RestrictTelephone,
    SendWarningLetter,
    TerminateCall,
    Worklist,
)
from app.decisions.worklist import items_for
from app.deps import Lifecycle, Now, Precondition, Profile, WriteSession, tag
from app.incidents.service import incident_json
from app.problems import problem_responses
from app.reads.marker_json import marker_json
from app.reads.params import CustomerRef

router = APIRouter(tags=["Decisions"])

DecisionId = Annotated[uuid.UUID, Path(description="The decision record's id.")]

_EVERY_STEP = (
    " Every step links the incidents that led to it (`incident_ids`, the customer's own), "
    "is stamped with the policy profile and who recorded it, and is never changed. A step "
    "taken before the one the policy says it follows is a 422 policy-violation naming the "
    "rule."
)


@router.post(
    "/customers/{customer_ref}/call-warnings",
    status_code=201,
    summary="Record a warning on the call",
    description="The caller was warned once that their conduct is of concern (the first "
    "step; it follows an incident)." + _EVERY_STEP,
    response_model=DecisionOut,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def record_call_warning(
    customer_ref: CustomerRef,
    body: RecordCallWarning,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.RECORD_CALL_WARNING)),
) -> dict[str, Any]:
    row = await ladder.record_call_warning(db, context, profile, lifecycle, customer_ref, body, at)
    return case_file.decision_json(row)


@router.post(
    "/customers/{customer_ref}/terminated-calls",
    status_code=201,
    summary="Record a terminated call",
    description="Any member of staff may terminate a call after a warning on it. Reporting "
    "it goes on the worklist of the role the policy names (Flintshire: the team leader; "
    "Wrexham: the line manager): GET /worklist." + _EVERY_STEP,
    response_model=DecisionOut,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def terminate_call(
    customer_ref: CustomerRef,
    body: TerminateCall,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.TERMINATE_CALL)),
) -> dict[str, Any]:
    row = await ladder.terminate_call(db, context, profile, lifecycle, customer_ref, body, at)
    return case_file.decision_json(row)


@router.post(
    "/customers/{customer_ref}/telephone-restrictions",
    status_code=201,
    summary="Restrict telephone contact for a short time",
    description="The short telephone restriction after a terminated call (both profiles "
    "require one on the file): imposes a `telephone_suspension` marker with the record, in "
    "one transaction (Flintshire: one day unless `ends_at` says otherwise; Wrexham: "
    "`ends_at` is required). The marker names the record in the case file." + _EVERY_STEP,
    response_model=DecisionOut,
    responses=problem_responses(400, 408, 409, 413, 422, 503),
)
async def restrict_telephone(
    customer_ref: CustomerRef,
    body: RestrictTelephone,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.RESTRICT_TELEPHONE)),
) -> dict[str, Any]:
    row = await ladder.restrict_telephone(db, context, profile, lifecycle, customer_ref, body, at)
    return case_file.decision_json(row)


@router.post(
    "/customers/{customer_ref}/warning-letters",
    status_code=201,
    summary="Record a warning letter",
    description="A (formal) warning letter, and whether a copy of the policy was enclosed."
    + _EVERY_STEP,
    response_model=DecisionOut,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def send_warning_letter(
    customer_ref: CustomerRef,
    body: SendWarningLetter,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.SEND_WARNING_LETTER)),
) -> dict[str, Any]:
    row = await ladder.send_warning_letter(db, context, profile, lifecycle, customer_ref, body, at)
    return case_file.decision_json(row)


@router.post(
    "/customers/{customer_ref}/referrals",
    status_code=201,
    summary="Refer to the manager who formally manages contact",
    description="Flintshire: to the CCSM; Wrexham: to the Service Manager (`referred_to` "
    "in the record's details)." + _EVERY_STEP,
    response_model=DecisionOut,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def refer(
    customer_ref: CustomerRef,
    body: Refer,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.REFER)),
) -> dict[str, Any]:
    row = await ladder.refer(db, context, profile, lifecycle, customer_ref, body, at)
    return case_file.decision_json(row)


@router.post(
    "/customers/{customer_ref}/chief-officer-referrals",
    status_code=201,
    summary="Ask a Chief Officer for guidance (Flintshire Appendix 1)",
    description="The CCSM's request to a Chief Officer, with every field of Appendix 1 "
    "(the customer's name is kept, never logged; who referred is the token's). Wrexham's "
    "ladder has no such step: 422 whoever asks. The Chief Officer answers with POST "
    "/decisions/{id}/chief-officer-advice." + _EVERY_STEP,
    response_model=DecisionOut,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def refer_to_chief_officer(
    customer_ref: CustomerRef,
    body: ReferToChiefOfficer,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.REFER_TO_CHIEF_OFFICER)),
) -> dict[str, Any]:
    row = await chief_officer.refer_to_chief_officer(
        db, context, profile, lifecycle, customer_ref, body, at
    )
    return case_file.decision_json(row)


@router.post(
    "/decisions/{decision_id}/chief-officer-advice",
    status_code=201,
    summary="Record a Chief Officer's advice on a referral",
    description="The Chief Officer's analysis and recommendation (Appendix 1), recorded "
    "back on the referral as its next version, with why; the request stays in the version "
    "before. Only on a Chief Officer referral (422 otherwise), once (409 after). If-Match "
    "with the referral's ETag: 412 if it has changed since.",
    response_model=DecisionOut,
    responses=problem_responses(400, 404, 408, 409, 412, 413, 422, 503),
)
async def advise_on_referral(
    decision_id: DecisionId,
    body: ChiefOfficerAdvice,
    db: WriteSession,
    at: Now,
    profile: Profile,
    if_match: Precondition,
    response: Response,
    context: ActionContext = Depends(authorise(Action.ADVISE_ON_REFERRAL)),
) -> dict[str, Any]:
    row = await chief_officer.advise(db, context, profile, decision_id, body, at, if_match)
    tag(response, row.version)
    return case_file.decision_json(row)


@router.post(
    "/customers/{customer_ref}/formal-decisions",
    status_code=201,
    summary="Make a formal decision to manage contact",
    description="The reasons, the restrictions (markers, each as POST "
    "/customers/{ref}/markers takes it, created with the record in one transaction: one "
    "refused and nothing is recorded), the duration, the review date (no more than six "
    "months on), reasonable adjustments and advocacy considered and what was decided, the "
    "customer's particular needs, and the notice: its decision and whether the policy is "
    "enclosed; the service adds the reasons, duration, review date, the right of appeal and "
    "its deadline (20 working days from the notice date, bank holidays of England and Wales "
    "excluded). Least restrictive: if the markers in force afterwards would leave no inbound "
    "channel open for good, 422 naming the channels and markers, unless `override_reason` is "
    "given by a role allowed `override_least_restrictive` (403 otherwise); the record is "
    "then flagged." + _EVERY_STEP,
    response_model=DecisionOut,
    responses=problem_responses(400, 408, 409, 413, 422, 503),
)
async def make_formal_decision(
    customer_ref: CustomerRef,
    body: MakeFormalDecision,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.MAKE_FORMAL_DECISION)),
) -> dict[str, Any]:
    row = await formal_decision.make_formal_decision(
        db, context, profile, lifecycle, customer_ref, body, at
    )
    return case_file.decision_json(row)


@router.post(
    "/decisions/{decision_id}/corrections",
    status_code=201,
    summary="Correct a decision record",
    description="Records the next version of the record with what its recorder wrote "
    "down corrected, and why; the version before stays in the case file. Needs the role "
    "that may record the record's step (a warning letter's: send_warning_letter), on top "
    "of reading the case file. What the step did (its markers, incidents, review date) and "
    "the notice as sent change only through the steps that change them. If-Match with "
    "the ETag read, or expected_version: 412 / 409 if it has changed since.",
    response_model=DecisionOut,
    responses=problem_responses(400, 404, 408, 409, 412, 413, 422, 503),
)
async def correct_decision(
    decision_id: DecisionId,
    body: CorrectDecision,
    db: WriteSession,
    at: Now,
    profile: Profile,
    if_match: Precondition,
    response: Response,
    context: ActionContext = Depends(authorise(Action.READ_DECISIONS)),
) -> dict[str, Any]:
    row = await corrections.correct(db, context, profile, decision_id, body, at, if_match)
    tag(response, row.version)
    return case_file.decision_json(row)


@router.get(
    "/customers/{customer_ref}/decisions",
    summary="A customer's case file",
    description="Every step recorded for the customer, newest first, each as its latest "
    "version. None is an empty list, not an error.",
    response_model=DecisionList,
    responses=problem_responses(422, 503),
)
async def list_decisions(
    customer_ref: CustomerRef,
    db: WriteSession,
    _: ActionContext = Depends(authorise(Action.READ_DECISIONS)),
) -> dict[str, Any]:
    rows = await case_file.list_decisions(db, customer_ref)
    return {"customer_ref": customer_ref, "decisions": [case_file.decision_json(r) for r in rows]}


@router.get(
    "/decisions/{decision_id}",
    summary="Read a decision record with its links",
    description="One record, as its latest version, with the incidents that led to it and "
    "the markers it imposed as they are now.",
    response_model=DecisionWithLinks,
    responses=problem_responses(404, 422, 503),
)
async def read_decision(
    decision_id: DecisionId,
    db: WriteSession,
    at: Now,
    response: Response,
    _: ActionContext = Depends(authorise(Action.READ_DECISIONS)),
) -> dict[str, Any]:
    row, incidents, markers = await case_file.get_decision(db, decision_id)
    tag(response, row.version)
    return {
        **case_file.decision_json(row),
        "incidents": [incident_json(i) for i in incidents],
        "markers": [marker_json(m, at) for m in markers],
    }


@router.get(
    "/worklist",
    summary="What is waiting for the caller's roles",
    description="Items the ladder put on a role's worklist (a terminated call to report), "
    "for the caller's roles and every role junior to them, newest first.",
    response_model=Worklist,
    responses=problem_responses(503),
)
async def worklist(
    db: WriteSession,
    profile: Profile,
    context: ActionContext = Depends(authorise(Action.READ_DECISIONS)),
) -> dict[str, Any]:
    rows = await items_for(db, profile, context.principal.roles)
    return {
        "items": [
            {
                "id": r.id,
                "customer_ref": r.customer_ref,
                "decision_id": r.decision_id,
                "role": r.role,
                "item": r.item,
                "created_at": r.created_at,
            }
            for r in rows
        ]
    }
