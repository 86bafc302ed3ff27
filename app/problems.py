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
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.invalid_params = invalid_params


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


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, "conflict", "That conflicts with what is recorded.", detail)


def database_unavailable(retry_after: int = 5) -> ProblemError:
    return ProblemError(
        503,
        "database-unavailable",
        "The database cannot be reached.",
        "Nothing can be recorded or changed until the database is back; nothing was changed. "
        "Try again shortly.",
        headers={"Retry-After": str(retry_after)},
    )


class NotAuthenticated(ProblemError):
    """Who is asking cannot be told: no credentials, or none that verify."""

    def __init__(
        self, detail: str = "Give a valid bearer token in the Authorization header."
    ) -> None:
        super().__init__(
            401,
            "not-authenticated",
            "You are not authenticated.",
            detail,
            headers={"WWW-Authenticate": "Bearer"},
        )


class NotPermitted(ProblemError):
    """Who is asking is known, and may not do this."""

    def __init__(self, action: str) -> None:
        super().__init__(
            403, "not-permitted", "You may not do that.", f"Your roles do not permit {action}."
        )


def problem_body(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    invalid_params: list[InvalidParam] | None = None,
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
