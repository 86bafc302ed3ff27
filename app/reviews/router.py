"""Reviews of formal decisions, and the worklist of reviews. Thin: parse, call the service,
shape."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from app.auth import Action, ActionContext, authorise
from app.decisions.case_file import decision_json
from app.deps import Lifecycle, Now, Profile, WriteSession
from app.domain.lifecycle.reviews import ReviewState
from app.problems import problem_responses
from app.reviews import service
from app.reviews.schemas import RecordedReviewOut, RecordReview, ReviewList
from app.reviews.worklist import WorklistFilter, worklist

router = APIRouter(tags=["Reviews"])

DecisionId = Annotated[uuid.UUID, Path(description="The formal decision's id.")]
PAGE_MAX = 200


@router.post(
    "/decisions/{decision_id}/reviews",
    status_code=201,
    summary="Review a formal decision",
    description="The decision maker's review (Flintshire: the CCSM; Wrexham: the Service "
    "Manager or the Complaints Lead), recorded as a decision record (step `review`, "
    "`about_id` the decision), never changed. `continue` keeps the restrictions and sets the "
    "next review (no more than six months on), which starts the next cycle; `vary` varies "
    "the decision's markers named in `variations` (as POST /markers/{id}/variations would); "
    "`lift` lifts every one still in force. The markers change in the same transaction as "
    "the record: a variation refused and nothing is recorded. A renewing review carries the "
    "markers' review date to the next one, and where restrictions lapse unless renewed "
    "(LAPSE_AT_REVIEW) their end to the next lapse instant. A decision that blocked a "
    "social-media account is reviewed by two distinct people: the first review is recorded "
    "pending (nothing changes), the second applies the outcome, which both must have chosen "
    "(409 naming the disagreement; 409 for the same person twice). `customer_to_be_told` "
    "says whether the customer must hear of it (a change, and a contact recorded recently). "
    "Only a formal decision is reviewed (422 naming its step).",
    response_model=RecordedReviewOut,
    responses=problem_responses(400, 404, 408, 409, 413, 422, 503),
)
async def review_decision(
    decision_id: DecisionId,
    body: RecordReview,
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    context: ActionContext = Depends(authorise(Action.REVIEW_DECISION)),
) -> dict[str, Any]:
    review = await service.record_review(
        db,
        context.acting_for(body.on_behalf_of),
        profile,
        lifecycle,
        decision_id,
        body,
        at,
    )
    return {
        **decision_json(review.row),
        "state": review.status.state.value,
        "reviewers": review.status.reviewers,
        "reviewers_needed": review.status.reviewers_needed,
        "customer_to_be_told": review.customer_to_be_told,
    }


@router.get(
    "/reviews",
    summary="The worklist of reviews",
    description="One entry per formal decision, for its current review cycle: due, overdue "
    "(from the first instant of the London day after its date), pending a second reviewer, "
    "or done (lifted). Worked out from the clock when asked: an overdue review shows "
    "escalated to the roles next senior to the decision maker's (Flintshire: "
    "`chief_officer`; Wrexham: `chief_officer_governance_customer`) with nobody acting. "
    "Most urgent first: overdue (most overdue first), then open reviews (soonest first), "
    "then done ones. `role` gives a role's worklist: the reviews it makes, and those "
    "escalated to it.",
    response_model=ReviewList,
    responses=problem_responses(422, 503),
)
async def list_reviews(
    db: WriteSession,
    at: Now,
    profile: Profile,
    lifecycle: Lifecycle,
    due_before: Annotated[
        date | None, Query(description="Reviews due on or before this date.")
    ] = None,
    due_after: Annotated[
        date | None, Query(description="Reviews due on or after this date.")
    ] = None,
    state: Annotated[ReviewState | None, Query(description="Only reviews in this state.")] = None,
    role: Annotated[
        str | None,
        Query(
            max_length=64,
            description="A role's worklist: reviews it makes (the decision maker's role), "
            "and overdue ones escalated to it.",
        ),
    ] = None,
    service_name: Annotated[
        str | None,
        Query(
            alias="service",
            max_length=100,
            description="Only decisions with an incident recorded for this service.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX, description="Page size.")] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="`next_cursor` from the page before."),
    ] = None,
    _: ActionContext = Depends(authorise(Action.READ_REVIEWS)),
) -> dict[str, Any]:
    wanted = WorklistFilter(due_before, due_after, state, role, service_name)
    entries, following = await worklist(db, profile, lifecycle, wanted, limit, cursor, at)
    return {"reviews": entries, "next_cursor": following}
