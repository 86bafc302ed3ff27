"""The OpenAPI document: generated from the routes, then tidied so that every error is
documented as application/problem+json (RFC 9457) and no FastAPI default leaks through."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app.contact_check.schemas import ContactCheckFlat, ContactCheckOut
from app.problems import PROBLEM_JSON, Problem

_EXTRA_MODELS: tuple[type[BaseModel], ...] = (ContactCheckOut, ContactCheckFlat, Problem)


def _add_schemas(schemas: dict[str, Any]) -> None:
    for model in _EXTRA_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas.setdefault(model.__name__, schema)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _add_schemas(schemas)
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = document
    return document
