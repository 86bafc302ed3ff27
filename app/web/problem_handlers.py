"""From every error to its RFC 9457 problem, installed on the app in one place: domain
problems, request validation (one entry per fault, named as sent, patterns in words),
bodies that are not JSON, HTTP errors, and a database that cannot serve now."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.domain.patterns import PATTERN_WORDS
from app.domain.vocabulary import MarkerKind
from app.persistence.faults import unavailable
from app.problems import (
    PROBLEM_JSON,
    InvalidParam,
    ProblemError,
    database_unavailable,
    problem_response,
)

log = logging.getLogger(__name__)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _kinds_known(request: Request) -> list[str]:
    """The kinds this deployment's policy profile provides, in the documented order."""
    profile = getattr(request.app.state, "profile", None)
    kinds = getattr(profile, "kinds", frozenset(MarkerKind))
    return [kind.value for kind in MarkerKind if kind in kinds]


def _body_tags() -> frozenset[str]:
    return frozenset(k.value for k in MarkerKind)


def _path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The path as the caller sent it: pydantic puts the discriminated union's tag
    (`telephone_schedule`) after `body`, and that is not a key of the body."""
    if len(loc) >= 2 and loc[0] == "body" and isinstance(loc[1], str) and loc[1] in _body_tags():
        return (loc[0], *loc[2:])
    return loc


_AT_HINT = (
    "an unescaped '+' in a query string is read as a space: write the offset as %2B "
    "(e.g. 2026-11-24T12:00:00%2B00:00) or give the time in UTC with Z"
)


def _reason(error: dict[str, Any], request: Request) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    message = str(error["msg"])
    if kind == "string_pattern_mismatch":
        words = PATTERN_WORDS.get(str(ctx.get("pattern")))
        return words if words is not None else "is not in the expected form"
    if kind == "union_tag_not_found":
        return "give the marker's kind: one of " + ", ".join(_kinds_known(request))
    if kind == "union_tag_invalid":
        return f"unknown kind {ctx.get('tag')!r}: use one of " + ", ".join(_kinds_known(request))
    if kind == "timezone_aware":
        return (
            "give a UTC offset (e.g. +00:00 or Z): local times are ambiguous when the clocks change"
        )
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        text = error.get("input")
        if error["loc"][:1] == ("query",) and isinstance(text, str) and " " in text:
            return _AT_HINT
        return "give an ISO 8601 date and time with its offset, e.g. 2026-11-24T12:00:00+00:00"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return "give an ISO 8601 date, e.g. 2027-03-31"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind in ("model_attributes_type", "dict_type", "model_type") and len(error["loc"]) <= 1:
        return "the body must be a JSON object"
    return message


def _one_per_fault(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop knock-on errors: pydantic reports a variadic tuple whose item failed as also
    too short, all the way up. A length error on a path under which another error was
    reported is that kind of echo, not a fault of its own."""
    located = [(_path(tuple(e["loc"])), e) for e in errors]
    kept: list[dict[str, Any]] = []
    seen: set[tuple[tuple[Any, ...], str]] = set()
    for loc, error in located:
        if error["type"] in ("too_short", "too_long") and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other, _ in located
        ):
            continue
        key = (loc, str(error["msg"]))
        if key in seen:
            continue
        seen.add(key)
        kept.append({**error, "loc": loc})
    return kept


def _json_content_type(value: str) -> bool:
    media, _, params = value.partition(";")
    media = media.strip().lower()
    if not (
        media == "application/json"
        or (media.startswith("application/") and media.endswith("+json"))
    ):
        return False
    for param in params.split(";"):
        name, _, charset = param.partition("=")
        if name.strip().lower() == "charset" and charset.strip().strip('"').lower() != "utf-8":
            return False
    return True


def unsupported_media_type() -> ProblemError:
    return ProblemError(
        415,
        "unsupported-media-type",
        "The request body must be JSON.",
        "Send the body as JSON (UTF-8) with Content-Type: application/json.",
    )


async def json_bodies(request: Request) -> None:
    """Bodies are JSON in UTF-8 (RFC 8259): another media type is 415 before any parsing
    is judged; JSON in another encoding (a UTF-16 or UTF-32 body, or a byte order mark),
    which Python's JSON reader would otherwise decode, is 400."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = request.headers.get("content-type")
    if content_type and not _json_content_type(content_type):
        raise unsupported_media_type()
    body = await request.body()
    if body and json.detect_encoding(body) != "utf-8":
        raise ProblemError(
            400,
            "bad-request",
            "The request could not be read.",
            "The body must be JSON encoded as UTF-8, without a byte order mark.",
        )


_HTTP_SLUGS = {
    400: ("bad-request", "The request could not be read."),
    404: ("not-found", "Not found."),
    405: ("method-not-allowed", "That method is not allowed here."),
    406: ("not-acceptable", "No acceptable representation."),
    413: ("payload-too-large", "The request body is too large."),
    415: ("unsupported-media-type", "The request body must be JSON."),
}


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        return Response(
            exc.body(request.url.path),
            status_code=exc.status,
            media_type=PROBLEM_JSON,
            headers=exc.headers,
        )

    # Added before the routers are included, so that every route gets it.
    app.router.dependencies.append(Depends(json_bodies))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(
                400,
                "bad-request",
                "The request could not be read.",
                "The body is not valid JSON.",
                request.url.path,
            )
        content_type = request.headers.get("content-type")
        if (
            request.method in ("POST", "PUT", "PATCH")
            and content_type
            and not _json_content_type(content_type)
        ):
            problem = unsupported_media_type()
            return problem_response(
                415, problem.slug, problem.title, problem.detail, request.url.path
            )
        params = [
            InvalidParam(name=_location(tuple(e["loc"])), reason=_reason(e, request))
            for e in _one_per_fault(errors)
        ]
        detail = "; ".join(f"{p.name}: {p.reason}" for p in params[:10])
        return problem_response(
            422,
            "validation-error",
            "Your request is not valid.",
            detail,
            request.url.path,
            invalid_params=params,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "The request failed."))
        return problem_response(
            exc.status_code,
            slug,
            title,
            str(exc.detail),
            request.url.path,
            dict(exc.headers or {}),
        )

    async def _database(request: Request, exc: Exception) -> Response:
        if not unavailable(exc):
            return await _unexpected(request, exc)
        log.warning("database unavailable: %s", type(exc).__name__)
        problem = database_unavailable()
        return problem_response(
            problem.status,
            problem.slug,
            problem.title,
            problem.detail,
            request.url.path,
            problem.headers,
        )

    async def _unexpected(request: Request, exc: Exception) -> Response:
        # A bug, not a user error: logged with its type (no request data), answered as a
        # problem so the caller still gets a well-formed error.
        log.exception("unhandled error: %s", type(exc).__name__)
        return problem_response(
            500,
            "internal-error",
            "Something went wrong on our side.",
            "The error has been logged; nothing was changed.",
            request.url.path,
        )

    for error in (DBAPIError, PoolTimeout, OSError, TimeoutError):
        app.add_exception_handler(error, _database)
    app.add_exception_handler(Exception, _unexpected)
