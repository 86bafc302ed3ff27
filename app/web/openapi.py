"""The OpenAPI document: generated from the routes, then tidied so that every error is
documented as application/problem+json (RFC 9457), no FastAPI default leaks through, and
what the deployment's policy profile allows is what the document declares.

The served document follows the deployment's profile (POLICY_PROFILE): a Wrexham service
offers `contact_quota` and requires `ends_at` on a telephone suspension, a Flintshire one
does neither. The committed openapi/openapi.json is the default (Flintshire) profile's."""

from __future__ import annotations

import copy
import json
from typing import Any

import fastapi.openapi.utils as openapi_utils
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.models import OpenAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app.domain.policy.profile import PolicyProfile
from app.domain.vocabulary import MarkerKind
from app.problems import PROBLEM_JSON, Problem
from app.reads.schemas import ContactCheckFlat, ContactCheckOut

_EXTRA_MODELS: tuple[type[BaseModel], ...] = (ContactCheckOut, ContactCheckFlat, Problem)

LICENSE = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
SERVERS = [{"url": "/", "description": "The service that serves this document."}]

# Models named after each kind in app/restrictions/schemas.py.
_IMPOSE_MODEL = {
    MarkerKind.TELEPHONE_SUSPENSION: "ImposeTelephoneSuspension",
    MarkerKind.CHANNEL_LIMIT: "ImposeChannelLimit",
    MarkerKind.TELEPHONE_SCHEDULE: "ImposeTelephoneSchedule",
    MarkerKind.SINGLE_POINT_OF_CONTACT: "ImposeSinglePointOfContact",
    MarkerKind.BEHAVIOUR_CONTRACT: "ImposeBehaviourContract",
    MarkerKind.READ_AND_FILE: "ImposeReadAndFile",
    MarkerKind.CONTACT_QUOTA: "ImposeContactQuota",
    MarkerKind.SOCIAL_MEDIA_BLOCK: "ImposeSocialMediaBlock",
}


def _encode_keeping_nulls(obj: Any, *args: Any, **kwargs: Any) -> Any:
    """FastAPI encodes the finished document with exclude_none, which also strips every
    null out of the examples, so that required nullable fields go missing from them. The
    document's own model drops its unset fields just the same without reaching into the
    examples' values."""
    if isinstance(obj, OpenAPI) and kwargs.get("exclude_none"):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    return jsonable_encoder(obj, *args, **kwargs)


def _add_schemas(schemas: dict[str, Any]) -> None:
    for model in _EXTRA_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas.setdefault(model.__name__, schema)


def _not_nullable(parameter: dict[str, Any]) -> None:
    """An optional parameter left out means the same as no value, and a query string or
    header cannot carry a null: declaring it nullable only misleads generated clients."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if parameter.get("required") or options is None:
        return
    kept = [option for option in options if option.get("type") != "null"]
    del schema["anyOf"]
    if schema.get("default", ...) is None:
        del schema["default"]
    if len(kept) == 1:
        schema.update(kept[0])
    else:
        schema["anyOf"] = kept


def _follow_profile(document: dict[str, Any], profile: PolicyProfile) -> None:
    schemas = document["components"]["schemas"]
    refused = {_IMPOSE_MODEL[kind] for kind in MarkerKind if kind not in profile.kinds}
    for path_item in document["paths"].values():
        for operation in path_item.values():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            if "oneOf" not in schema or "discriminator" not in schema:
                continue
            schema["oneOf"] = [
                option
                for option in schema["oneOf"]
                if option["$ref"].rsplit("/", 1)[-1] not in refused
            ]
            mapping = schema["discriminator"].get("mapping", {})
            for kind, ref in list(mapping.items()):
                if ref.rsplit("/", 1)[-1] in refused:
                    del mapping[kind]
    for name in refused:
        schemas.pop(name, None)
    if profile.telephone_suspension_default is None:
        suspension = schemas[_IMPOSE_MODEL[MarkerKind.TELEPHONE_SUSPENSION]]
        suspension.setdefault("required", []).append("ends_at")
        suspension["description"] = (
            f"Under the {profile.council} policy a telephone suspension says when it ends."
        )


def _drop_unused(schemas: dict[str, Any], document: dict[str, Any]) -> None:
    """Schemas only the profile's refused kinds used go with them."""
    while True:
        others = json.dumps({k: v for k, v in document.items() if k != "components"})
        text = others + json.dumps(schemas)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def _retry_after(response: dict[str, Any]) -> None:
    response["headers"] = {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 0},
        }
    }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    openapi_utils.jsonable_encoder = _encode_keeping_nulls  # type: ignore[attr-defined]
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=SERVERS,
        license_info=LICENSE,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _add_schemas(schemas)
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not any(status[0] == "4" for status in operation["responses"]):
                # The operations that take no input still refuse a wrong method.
                operation["responses"]["4XX"] = {
                    "description": "The request was refused (for example, a method other than GET)."
                }
            for parameter in operation.get("parameters", []):
                _not_nullable(parameter)
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
                if status == "503" and "Readiness" not in str(response):
                    _retry_after(response)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    profile: PolicyProfile | None = getattr(app.state, "profile", None)
    if profile is not None:
        _follow_profile(document, profile)
    _drop_unused(schemas, document)
    app.openapi_schema = copy.deepcopy(document)
    return app.openapi_schema
