"""Each evaluation is one call of the matrix function enforcement makes: `decide` when the
kind is given, `decide_any_kind` when it is not (as the gate admits a request before the
body or the marker tells it the kind). Nothing here decides anything itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.access.schemas import (
    DecisionContext,
    EvaluatedAction,
    EvaluationItem,
    EvaluationRequest,
    EvaluationResponse,
    EvaluationsRequest,
    Resource,
    RolesFrom,
    Semantic,
    Subject,
)
from app.domain.policy import matrix
from app.domain.policy.profile import PolicyProfile
from app.domain.vocabulary import Action, MarkerKind, Role
from app.problems import invalid


@dataclass(frozen=True, slots=True)
class Question:
    """One evaluation, its defaults applied: these roles, this action, this kind."""

    roles: frozenset[Role]
    roles_from: RolesFrom
    action: Action
    kind: MarkerKind | None


def _question(
    subject: Subject | None,
    action: EvaluatedAction,
    resource: Resource | None,
    caller_roles: frozenset[Role],
) -> Question:
    kind = resource.properties.kind if resource and resource.properties else None
    if subject is None:
        return Question(caller_roles, RolesFrom.TOKEN, action.name, kind)
    return Question(frozenset(subject.properties.roles), RolesFrom.REQUEST, action.name, kind)


def answer(profile: PolicyProfile, question: Question) -> EvaluationResponse:
    if question.kind is None:
        decision = matrix.decide_any_kind(profile, question.roles, question.action)
    else:
        decision = matrix.decide(profile, question.roles, question.action, question.kind)
    return EvaluationResponse(
        decision=decision.allowed,
        context=DecisionContext(
            action=decision.action,
            kind=decision.kind,
            rule=decision.rule,
            reason=decision.reason,
            allowed_roles=list(decision.allowed_roles),
            roles=sorted(question.roles),
            roles_from=question.roles_from,
            reason_admin={"en": decision.reason},
        ),
    )


def single(
    profile: PolicyProfile, request: EvaluationRequest, caller_roles: frozenset[Role]
) -> EvaluationResponse:
    question = _question(request.subject, request.action, request.resource, caller_roles)
    return answer(profile, question)


def _questions(request: EvaluationsRequest, caller_roles: frozenset[Role]) -> Iterator[Question]:
    for index, item in enumerate(request.evaluations):
        picked = _pick(item, request)
        if picked.action is None:
            raise invalid(
                f"body.evaluations.{index}.action",
                "give the action here, or a default action at the top of the request",
            )
        yield _question(picked.subject, picked.action, picked.resource, caller_roles)


def _pick(item: EvaluationItem, request: EvaluationsRequest) -> EvaluationItem:
    """AuthZEN section 7: a member the evaluation gives replaces the default whole."""
    return EvaluationItem(
        subject=item.subject if item.subject is not None else request.subject,
        action=item.action if item.action is not None else request.action,
        resource=item.resource if item.resource is not None else request.resource,
    )


def batch(
    profile: PolicyProfile, request: EvaluationsRequest, caller_roles: frozenset[Role]
) -> list[EvaluationResponse]:
    """In order. Every evaluation is checked before any is answered, so that a fault in the
    last is a 422 rather than a partial answer."""
    semantic = request.options.evaluations_semantic if request.options else Semantic.EXECUTE_ALL
    answers: list[EvaluationResponse] = []
    for question in list(_questions(request, caller_roles)):
        given = answer(profile, question)
        answers.append(given)
        if semantic is Semantic.DENY_ON_FIRST_DENY and not given.decision:
            break
        if semantic is Semantic.PERMIT_ON_FIRST_PERMIT and given.decision:
            break
    return answers
