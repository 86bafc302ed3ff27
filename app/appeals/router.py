"""Appeals against formal decisions, and the annual review report. Thin: parse, call the
service, shape."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from app.appeals import annual_review, service
from app.appeals.schemas import AnnualReviewReport, AppealList, DecideAppeal, LodgeAppeal
from app.auth import Action, ActionContext, authorise
from app.decisions.case_file import decision_json
from app.decisions.schemas import DecisionOut
from app.deps import Lifecycle, Now, Precondition, Profile, WriteSession, tag
from app.domain.lifecycle.annual_review import VERY_DIFFERENT_RATIO
from app.problems import problem_responses

router = APIRouter(tags=["Appeals"])

DecisionId = Annotated[uuid.UUID, Path(description="The formal decision's record id.")]
AppealId = Annotated[uuid.UUID, Path(description="The appeal's record id.")]


@router.post(
    "/decisions/{decision_id}/appeals",
    status_code=201,
    summary="Record a written appeal against a formal decision",
    description="Whoever received the customer's written appeal records it. The record "
    "(step `appeal`, `about_id` the decision) works out the deadline (20 working days from "
    "the day the decision was received, the notice date unless `decision_received_on` says "
    "later, weekends and bank holidays of England and Wales excluded), whether the appeal "
    "is late and by how many working days (a late appeal is recorded and flagged, never "
    "refused), and who decides it (`details.route`: Flintshire the Chief Officer "
    "Governance; Wrexham the Complaints Team, or the Chief Officer - Governance & Customer "
    "when the case file shows a Complaints Lead recorded one of its steps). Only a formal "
    "decision is appealed (422 otherwise), once (409 after).",
    response_model=DecisionOut,
    responses=problem_responses(400, 404, 408, 409, 413, 422, 503),
)
async def lodge_appeal(
    decision_id: DecisionId,
    body: LodgeAppeal,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.LODGE_APPEAL)),
) -> dict[str, Any]:
    row = await service.lodge(db, context, profile, lifecycle, decision_id, body, at)
    return decision_json(row)


@router.get(
    "/decisions/{decision_id}/appeals",
    summary="The appeals against a decision",
    description="Each appeal as its latest version: once decided, the outcome is in its "
    "details. None is an empty list.",
    response_model=AppealList,
    responses=problem_responses(404, 422, 503),
)
async def list_appeals(
    decision_id: DecisionId,
    db: WriteSession,
    _: ActionContext = Depends(authorise(Action.READ_DECISIONS)),
) -> dict[str, Any]:
    rows = await service.list_appeals(db, decision_id)
    return {"decision_id": decision_id, "appeals": [decision_json(r) for r in rows]}


@router.post(
    "/appeals/{appeal_id}/decision",
    status_code=201,
    summary="Decide an appeal",
    description="The outcome, recorded as the appeal's next version: `upheld`, `varied` "
    "(each marker in `variations` varied as POST /markers/{id}/variations takes it) or "
    "`overturned` (every marker of the decision still in force lifted), the markers changed "
    "in the same transaction as the outcome. The outcome names the ombudsman the customer "
    "may go to next. 403 unless the caller holds the role the appeal was routed to (the "
    "problem names it), or when the caller made, advised on or reviewed the decision "
    "(`separation-of-duties`, naming the parts). Decided once (409 after). If-Match with "
    "the appeal's ETag: 412 if it has changed since it was read.",
    response_model=DecisionOut,
    responses=problem_responses(400, 404, 408, 409, 412, 413, 422, 503),
)
async def decide_appeal(
    appeal_id: AppealId,
    body: DecideAppeal,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    if_match: Precondition,
    response: Response,
    context: ActionContext = Depends(authorise(Action.DECIDE_APPEAL)),
) -> dict[str, Any]:
    row = await service.decide(db, context, profile, lifecycle, appeal_id, body, at, if_match)
    tag(response, row.version)
    return decision_json(row)


@router.get(
    "/reports/annual-review",
    summary="The annual review of restrictions imposed in a financial year",
    description="Every formal decision made from 1 April of `year` to 31 March after "
    "(London dates), oldest first: its marker kinds, its duration as the notice says and "
    "in days, its reviews (each on time or not), its appeals with their outcomes, and any "
    "least-restrictive override; and the inconsistencies: durations for one behaviour "
    "category where the longest is more than three times the shortest, a review missing or "
    "late, an appeal decided late (more than 20 working days after it was received).",
    response_model=AnnualReviewReport,
    responses=problem_responses(422, 503),
)
async def read_annual_review(
    db: WriteSession,
    at: Now,
    year: Annotated[
        int, Query(ge=2000, le=2100, description="The year the financial year starts in.")
    ],
    _: ActionContext = Depends(authorise(Action.READ_ANNUAL_REVIEW)),
) -> dict[str, Any]:
    found = await annual_review.report(db, year, at)
    return {
        "year": found.year,
        "starts_on": found.starts_on,
        "ends_on": found.ends_on,
        "very_different_ratio": VERY_DIFFERENT_RATIO,
        "decisions": [
            {
                "id": d.id,
                "customer_ref": d.customer_ref,
                "decided_on": d.decided_on,
                "behaviour_categories": sorted(d.categories),
                "marker_kinds": list(d.marker_kinds),
                "duration": d.duration,
                "duration_days": d.duration_days,
                "review_due": d.review_due,
                "least_restrictive_overridden": d.override_reason is not None,
                "override_reason": d.override_reason,
                "reviews": [
                    {
                        "id": r.id,
                        "done_on": r.done_on,
                        "due_on": r.due_on,
                        "on_time": r.on_time,
                        "outcome": r.outcome,
                    }
                    for r in d.reviews
                ],
                "appeals": [
                    {
                        "id": a.id,
                        "received_on": a.received_on,
                        "late": a.late,
                        "decision_due": a.decision_due,
                        "outcome": a.outcome,
                        "decided_on": a.decided_on,
                    }
                    for a in d.appeals
                ],
            }
            for d in found.decisions
        ],
        "flags": [
            {
                "code": f.code,
                "decision_ids": list(f.decision_ids),
                "detail": f.detail,
                "category": f.category,
                "appeal_id": f.appeal_id,
                "review_id": f.review_id,
            }
            for f in found.flags
        ],
    }
