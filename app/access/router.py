"""The dry run's two endpoints. Thin: the gate admits the caller (`evaluate_access`), the
evaluation module asks the matrix, and the answer is shaped as AuthZEN shapes it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from app.access import evaluation
from app.access.schemas import (
    BATCH_LIMIT,
    EvaluationRequest,
    EvaluationResponse,
    EvaluationsRequest,
    EvaluationsResponse,
)
from app.auth import Action, ActionContext, authorise
from app.problems import problem_responses

router = APIRouter(prefix="/access/v1", tags=["Access"])

_SINGLE_EXAMPLES: dict[str, Any] = {
    "team_leader_schedule": {
        "summary": "May a team leader impose a telephone schedule?",
        "value": {
            "subject": {"type": "roles", "properties": {"roles": ["team_leader"]}},
            "action": {"name": "impose_marker"},
            "resource": {"type": "marker", "properties": {"kind": "telephone_schedule"}},
        },
    },
    "own_token": {
        "summary": "May I lift a telephone suspension? (no subject: your own token's roles)",
        "value": {
            "action": {"name": "lift_marker"},
            "resource": {"type": "marker", "properties": {"kind": "telephone_suspension"}},
        },
    },
    "read_marker": {
        "summary": "May the reader service read a marker with its history?",
        "value": {
            "subject": {"type": "roles", "properties": {"roles": ["reader"]}},
            "action": {"name": "read_marker"},
            "resource": {"type": "customer", "id": "C0000001"},
        },
    },
}

_BATCH_EXAMPLES: dict[str, Any] = {
    "who_may_schedule": {
        "summary": "Which of these roles may impose a telephone schedule?",
        "value": {
            "action": {"name": "impose_marker"},
            "resource": {"type": "marker", "properties": {"kind": "telephone_schedule"}},
            "evaluations": [
                {"subject": {"type": "roles", "properties": {"roles": [role]}}}
                for role in ("employee", "team_leader", "ccsm")
            ],
        },
    },
    "what_may_i_do": {
        "summary": "What may my own token do?",
        "value": {
            "options": {"evaluations_semantic": "execute_all"},
            "evaluations": [
                {"action": {"name": "check_contact"}},
                {"action": {"name": "record_contact"}},
                {
                    "action": {"name": "impose_marker"},
                    "resource": {"type": "marker", "properties": {"kind": "channel_limit"}},
                },
            ],
        },
    },
}

_HOW = (
    "Shaped after the OpenID AuthZEN Authorization API 1.0. `subject.properties.roles` are "
    "the roles to evaluate (leave the subject out to ask about your own token's roles), "
    "`action.name` is the action as the decision matrix names it, and "
    "`resource.properties.kind` the marker kind for `impose_marker`, `vary_marker` and "
    "`lift_marker` (without one: whether the roles may take the action on at least one "
    "kind). The answer is the very decision enforcement makes, with the rule matched, the "
    "reason, and every role that would be allowed. Nothing is changed or recorded."
)


@router.post(
    "/evaluation",
    summary="Dry run: may these roles take this action?",
    description=_HOW,
    response_model=EvaluationResponse,
    responses=problem_responses(400, 408, 413, 415, 422),
)
async def evaluate_access(
    body: Annotated[EvaluationRequest, Body(openapi_examples=_SINGLE_EXAMPLES)],
    context: ActionContext = Depends(authorise(Action.EVALUATE_ACCESS)),
) -> EvaluationResponse:
    return evaluation.single(context.profile, body, context.principal.roles)


@router.post(
    "/evaluations",
    summary="Dry run, many at once",
    description=(
        f"{_HOW}\n\nUp to {BATCH_LIMIT} evaluations, answered in order. `subject`, `action` "
        "and `resource` at the top are defaults: an evaluation that gives one replaces the "
        "default whole. `options.evaluations_semantic` may stop at the first denial "
        "(`deny_on_first_deny`) or permit (`permit_on_first_permit`); by default every "
        "evaluation is answered."
    ),
    response_model=EvaluationsResponse,
    responses=problem_responses(400, 408, 413, 415, 422),
)
async def evaluate_access_batch(
    body: Annotated[EvaluationsRequest, Body(openapi_examples=_BATCH_EXAMPLES)],
    context: ActionContext = Depends(authorise(Action.EVALUATE_ACCESS)),
) -> EvaluationsResponse:
    return EvaluationsResponse(
        evaluations=evaluation.batch(context.profile, body, context.principal.roles)
    )
