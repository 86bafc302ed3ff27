"""RFC 9457 problem details: every error the service gives is `application/problem+json`
with a stable `type`, a `title`, a `detail`, and for validation errors the failing fields."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, Field
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:contact-restrictions:problem:"


class InvalidParam(BaseModel):
    name: str = Field(description="Where the fault is: body.field, query.name, path.name.")
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=[TYPE_BASE + "validation-error"])
    title: str = Field(examples=["Your request is not valid."])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["body.details.windows.0.start: a time as HH:MM, 00:00 to 24:00"])
    instance: str | None = Field(default=None, examples=["/customers/C123/markers"])
    invalid_params: list[InvalidParam] | None = Field(
        default=None, description="The failing fields, for validation errors."
    )


class ProblemError(Exception):
    """A domain error that maps to one problem response."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        invalid_params: list[InvalidParam] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.invalid_params = invalid_params
        # RFC 9457 extension members, beside the standard ones.
        self.extensions = extensions

    def body(self, instance: str | None) -> bytes:
        return problem_body(
            self.status,
            self.slug,
            self.title,
            self.detail,
            instance,
            self.invalid_params,
            self.extensions,
        )


def not_found(what: str) -> ProblemError:
    return ProblemError(404, "not-found", "Not found.", f"There is no {what}.")


def invalid(name: str, reason: str) -> ProblemError:
    return ProblemError(
        422,
        "validation-error",
        "Your request is not valid.",
        f"{name}: {reason}",
        invalid_params=[InvalidParam(name=name, reason=reason)],
    )


POLICY_TITLE = "Those terms are not allowed by the policy."


def policy_violation(params: list[InvalidParam], title: str = POLICY_TITLE) -> ProblemError:
    """422: the request is well formed and the council's policy refuses it, one entry per
    field at fault. The reasons name fields, codes and ids, never what the body said."""
    return ProblemError(
        422,
        "policy-violation",
        title,
        "; ".join(f"{p.name}: {p.reason}" for p in params),
        invalid_params=params,
    )


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, "conflict", "That conflicts with what is recorded.", detail)


def precondition_failed(current_version: int) -> ProblemError:
    return ProblemError(
        412,
        "precondition-failed",
        "The record has changed since you read it.",
        f"If-Match does not name the latest version (it is at version {current_version}): "
        "nothing was changed. Read it again and decide on the latest version.",
    )


def database_unavailable(retry_after: int = 5) -> ProblemError:
    return ProblemError(
        503,
        "database-unavailable",
        "The database cannot be reached.",
        "Nothing can be recorded or changed until the database is back; nothing was changed. "
        "Try again shortly.",
        headers={"Retry-After": str(retry_after)},
    )


# RFC 6750 section 3: the challenge names the realm; `error` only once a token was given.
REALM = 'Bearer realm="contact-restrictions"'


class NotAuthenticated(ProblemError):
    """Who is asking cannot be told: no bearer token (`error` None), or one that does not
    verify ("invalid_token"), or one sent where tokens are not accepted ("invalid_request")."""

    def __init__(
        self,
        detail: str = "Give a valid bearer token in the Authorization header.",
        error: str | None = None,
    ) -> None:
        challenge = REALM if error is None else f'{REALM}, error="{error}"'
        super().__init__(
            401,
            "not-authenticated",
            "You are not authenticated.",
            detail,
            headers={"WWW-Authenticate": challenge},
        )


class NotPermitted(ProblemError):
    """Who is asking is known, and the decision matrix does not let their roles do this.
    The problem names the action, the kind where it matters, and the roles that may."""

    def __init__(
        self, action: str, kind: str | None, allowed_roles: tuple[str, ...], reason: str
    ) -> None:
        what = action if kind is None else f"{action} on a {kind} marker"
        allowed = ", ".join(allowed_roles) if allowed_roles else "no role"
        super().__init__(
            403,
            "not-permitted",
            "You may not do that.",
            f"The decision matrix refuses: {reason}. Who may take {what}: {allowed}.",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope"'},
            extensions={"action": action, "kind": kind, "allowed_roles": list(allowed_roles)},
        )


def problem_body(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    invalid_params: list[InvalidParam] | None = None,
    extensions: dict[str, Any] | None = None,
) -> bytes:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if invalid_params:
        body["invalid_params"] = [p.model_dump() for p in invalid_params]
    if extensions:
        body.update(extensions)
    return orjson.dumps(body)


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    invalid_params: list[InvalidParam] | None = None,
) -> Response:
    return Response(
        problem_body(status, slug, title, detail, instance, invalid_params),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the problem responses an operation can give."""
    descriptions = {
        400: "The body could not be read: not valid JSON, or not encoded as UTF-8.",
        404: "Not found.",
        408: "The request body did not arrive in time: nothing was changed; send it again.",
        409: "Conflicts with what is recorded (already lifted, or a newer version exists).",
        412: "If-Match names a version that is no longer the latest: nothing was changed.",
        413: "The request body is too large.",
        415: "The body is not JSON (send Content-Type: application/json, UTF-8).",
        422: "Invalid input: the failing fields are listed.",
        503: "The database cannot be reached: nothing was changed; retry after Retry-After.",
    }
    return {
        s: {
            "model": Problem,
            "description": descriptions[s],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }
