"""Request and response shapes of the dry run, after AuthZEN 1.0 (sections 6 and 7): a
subject, an action, a resource and a context; a decision with a context that explains it.

Only what this service's matrix rules on is read, and every object refuses members it does
not know: a misspelt `roles` or `kind` would otherwise be silently left out, and the answer
would be about something other than what was asked."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from app.domain.details import LINE_PATTERN, not_null
from app.domain.vocabulary import Action, MarkerKind

BATCH_LIMIT = 100
ROLES_LIMIT = 50

RoleName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=LINE_PATTERN)]
Informational = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=LINE_PATTERN)
]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubjectProperties(_Shape):
    roles: list[RoleName] = Field(
        max_length=ROLES_LIMIT,
        description="The roles to evaluate, as the policy profile names them (`team_leader`, "
        "`ccsm`, `reader`...). Names the profile does not declare may do nothing.",
        examples=[["team_leader"]],
    )


class Subject(_Shape):
    """Whose roles to evaluate. Leave the subject out to ask about your own token's roles."""

    type: Informational = Field(
        default="roles",
        description="Informational (AuthZEN's subject type), e.g. `user` or `roles`.",
    )
    id: Informational | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Informational: this service does not look subjects up, it evaluates "
        "the roles given.",
    )
    properties: SubjectProperties


class EvaluatedAction(_Shape):
    name: Action = Field(
        description="The action, as the decision matrix names it.",
        examples=["impose_marker"],
    )


class ResourceProperties(_Shape):
    kind: MarkerKind | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="The marker kind, for `impose_marker`, `vary_marker` and `lift_marker`, "
        "which are decided per kind. Without one, the answer is whether the roles may take "
        "the action on at least one kind (as the gate decides before it knows the kind). "
        "Disregarded by every other action.",
        examples=["telephone_schedule"],
    )


class Resource(_Shape):
    type: Literal["marker", "customer"] = Field(
        description="`marker` (give its kind), or `customer` (its reference as `id`)."
    )
    id: Informational | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Informational: the marker's id or the customer's reference. The matrix "
        "rules by role and kind, never by which customer or marker.",
        examples=["C0000001"],
    )
    properties: ResourceProperties | None = Field(json_schema_extra=not_null, default=None)


Context = Annotated[
    dict[str, Any],
    Field(
        description="Accepted as AuthZEN allows, and not read: the matrix does not depend on "
        "time, place or anything else about the request.",
    ),
]


class EvaluationRequest(_Shape):
    subject: Subject | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Whose roles to evaluate; leave it out to ask about your own token's.",
    )
    action: EvaluatedAction
    resource: Resource | None = Field(json_schema_extra=not_null, default=None)
    context: Context | None = Field(json_schema_extra=not_null, default=None)


class EvaluationItem(_Shape):
    """One evaluation of a batch: each member given replaces the request's default whole."""

    subject: Subject | None = Field(json_schema_extra=not_null, default=None)
    action: EvaluatedAction | None = Field(json_schema_extra=not_null, default=None)
    resource: Resource | None = Field(json_schema_extra=not_null, default=None)
    context: Context | None = Field(json_schema_extra=not_null, default=None)


class Semantic(StrEnum):
    EXECUTE_ALL = "execute_all"
    DENY_ON_FIRST_DENY = "deny_on_first_deny"
    PERMIT_ON_FIRST_PERMIT = "permit_on_first_permit"


class Options(_Shape):
    evaluations_semantic: Semantic = Field(
        default=Semantic.EXECUTE_ALL,
        description="`execute_all` answers every evaluation; `deny_on_first_deny` and "
        "`permit_on_first_permit` stop after the first denial or permit, which is then "
        "the last answer given.",
    )


class EvaluationsRequest(_Shape):
    # Every evaluation needs an action, its own or the default: said in the schema too, so
    # that a client generated from it (and schemathesis) knows.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"properties": {"action": {"type": "object"}}, "required": ["action"]},
                {
                    "properties": {
                        "evaluations": {
                            "items": {
                                "properties": {"action": {"type": "object"}},
                                "required": ["action"],
                            }
                        }
                    }
                },
            ]
        },
    )

    subject: Subject | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="The default subject; with none here or in an evaluation, your own "
        "token's roles.",
    )
    action: EvaluatedAction | None = Field(json_schema_extra=not_null, default=None)
    resource: Resource | None = Field(json_schema_extra=not_null, default=None)
    context: Context | None = Field(json_schema_extra=not_null, default=None)
    options: Options | None = Field(json_schema_extra=not_null, default=None)
    evaluations: list[EvaluationItem] = Field(
        min_length=1,
        max_length=BATCH_LIMIT,
        description=f"1 to {BATCH_LIMIT} evaluations, answered in this order.",
    )


class RolesFrom(StrEnum):
    REQUEST = "request"
    TOKEN = "token"


class DecisionContext(BaseModel):
    """Why: the rule matched, in words, and who would be allowed."""

    action: Action
    kind: MarkerKind | None = Field(
        description="The kind given (only impose, vary and lift depend on it); null when "
        "none was given."
    )
    rule: str = Field(examples=["impose_marker.telephone_schedule: ccsm and above"])
    reason: str = Field(
        examples=[
            "team_leader may not take impose_marker.telephone_schedule under the "
            "Flintshire County Council policy"
        ]
    )
    allowed_roles: list[str] = Field(
        description="Every role that may take this action (on this kind), seniors included.",
        examples=[["ccsm", "chief_officer", "chief_officer_governance"]],
    )
    roles: list[str] = Field(description="The roles evaluated, sorted.")
    roles_from: RolesFrom = Field(
        description="`request` (the subject's roles) or `token` (no subject: your own)."
    )
    reason_admin: dict[str, str] = Field(
        description="AuthZEN's reason for an administrator, by language: the reason again."
    )


_REFUSED = (
    "team_leader may not take impose_marker.telephone_schedule under the Flintshire County "
    "Council policy"
)
_EXAMPLE: JsonDict = {
    "decision": False,
    "context": {
        "action": "impose_marker",
        "kind": "telephone_schedule",
        "rule": "impose_marker.telephone_schedule: ccsm and above",
        "reason": _REFUSED,
        "allowed_roles": ["ccsm", "chief_officer", "chief_officer_governance"],
        "roles": ["team_leader"],
        "roles_from": "request",
        "reason_admin": {"en": _REFUSED},
    },
}


class EvaluationResponse(BaseModel):
    """The decision enforcement would make, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    decision: bool
    context: DecisionContext


class EvaluationsResponse(BaseModel):
    """One answer per evaluation, in the order asked."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"evaluations": [_EXAMPLE]}]})

    evaluations: list[EvaluationResponse]
