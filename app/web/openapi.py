"""The OpenAPI document: generated from the routes, then tidied so that every error is
documented as application/problem+json (RFC 9457), no FastAPI default leaks through, and
what the deployment's policy profile allows is what the document declares.

The served document follows the deployment's profile (POLICY_PROFILE): a Wrexham service
offers `contact_quota` and requires `ends_at` on a telephone suspension, a Flintshire one
does neither, and each operation names the roles of that profile's decision matrix that may
take it. The committed openapi/openapi.json is the default (Flintshire) profile's.

Which action an operation takes is read from its routes' dependencies (`authorise(action)`
keeps the action on the dependency), so an operation added behind the gate is documented
as protected, with its roles, without being listed here."""

from __future__ import annotations

import copy
import json
from typing import Any

import fastapi.openapi.utils as openapi_utils
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.models import OpenAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app.domain.policy import matrix
from app.domain.policy.profile import PolicyProfile
from app.domain.vocabulary import Action, MarkerKind, Role
from app.problems import PROBLEM_JSON, REALM, NotAuthenticated, NotPermitted, Problem
from app.reads.schemas import ContactCheckFlat, ContactCheckOut
from app.web.webhook_delivery import SCHEMA_NAME, webhook_components

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
    bodies = [
        operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        for path_item in document["paths"].values()
        for operation in path_item.values()
    ]
    # A list of marker bodies inside another request (a formal decision's markers).
    listed = [
        {"schema": field["items"]}
        for model in schemas.values()
        for field in model.get("properties", {}).values()
        if isinstance(field.get("items"), dict)
    ]
    for holder in (*bodies, *listed):
        schema = holder.get("schema", {})
        if "oneOf" not in schema or "discriminator" not in schema:
            continue
        schema["oneOf"] = [
            option for option in schema["oneOf"] if option["$ref"].rsplit("/", 1)[-1] not in refused
        ]
        mapping = schema["discriminator"].get("mapping", {})
        for kind, ref in list(mapping.items()):
            if ref.rsplit("/", 1)[-1] in refused:
                del mapping[kind]
    for name in refused:
        schemas.pop(name, None)
    # A worklist asked for by role (GET /reviews?role=): the profile's staff roles only.
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "role":
                    parameter["schema"]["enum"] = sorted(profile.access.staff_roles)
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


SCHEME = "bearer"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": (
        "An access token (a JWT) from the council's identity provider (Microsoft Entra ID or "
        "Keycloak), issued for this service's audience; its roles, mapped to the policy "
        "profile's roles, decide what it may do. Send it as `Authorization: Bearer <token>`, "
        "never in the URL. Locally, `make run` prints a ready token for each role, and "
        "`crs dev-token --role team_leader` prints one on demand. In /docs: **Authorize**, "
        "paste the token (without `Bearer `), and every *Try it out* sends it."
    ),
}
ROLES_EXTENSION = "x-roles"
# What an operation answers for `kind` when its action is decided once, whatever the kind.
ANY_KIND = "*"


def _action_of(dependant: Any) -> Action | None:
    """The action of the `authorise` dependency anywhere in a route's dependency tree."""
    action = getattr(dependant.call, "action", None)
    if isinstance(action, Action):
        return action
    for dependency in dependant.dependencies:
        found = _action_of(dependency)
        if found is not None:
            return found
    return None


def route_actions(app: FastAPI) -> dict[tuple[str, str], Action]:
    """(path, method) -> the action the gate decides for that operation. The routes of
    included routers are walked as FastAPI itself walks them for the document, so that the
    paths are the served ones, prefixes included."""
    found: dict[tuple[str, str], Action] = {}
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        action = _action_of(context.dependant)
        if action is None:
            continue
        for method in context.methods or ():
            found[(context.path_format or "", method.lower())] = action
    return found


def allowed_roles(profile: PolicyProfile, action: Action) -> dict[str, tuple[Role, ...]]:
    """Who may take `action` under the profile, as the decision matrix decides it: one entry
    per marker kind the profile provides for the per-kind actions, else one for any kind.
    The roles come in the profile's order, staff from junior to senior, then machines."""
    order = {
        role: i
        for i, role in enumerate((*profile.access.staff_roles, *profile.access.machine_roles))
    }

    def roles(kind: MarkerKind | None) -> tuple[Role, ...]:
        allowed = matrix.decide(profile, profile.access.roles, action, kind).allowed_roles
        return tuple(sorted(allowed, key=lambda role: (order.get(role, len(order)), role)))

    if (action, None) in profile.access.rules:
        return {ANY_KIND: roles(None)}
    return {kind.value: roles(kind) for kind in MarkerKind if kind in profile.kinds}


def _who_may(profile: PolicyProfile, by_kind: dict[str, tuple[Role, ...]]) -> str:
    def listed(roles: tuple[Role, ...]) -> str:
        return ", ".join(f"`{role}`" for role in roles) if roles else "no role"

    if list(by_kind) == [ANY_KIND]:
        return f"**Who may** (the {profile.council} policy): {listed(by_kind[ANY_KIND])}."
    lines = [f"**Who may** (the {profile.council} policy), by the marker's kind:", ""]
    lines += [f"- `{kind}`: {listed(roles)}" for kind, roles in by_kind.items()]
    return "\n".join(lines)


def _example(error: NotAuthenticated | NotPermitted) -> Any:
    return json.loads(error.body(None))


def _refusal_example(profile: PolicyProfile, action: Action, kind: str) -> Any:
    """The 403 as the gate gives it, to the first role of the profile that may not."""
    marker_kind = None if kind == ANY_KIND else MarkerKind(kind)
    for role in (*profile.access.machine_roles, *profile.access.staff_roles, "unknown"):
        decision = matrix.decide(profile, frozenset({role}), action, marker_kind)
        if not decision.allowed:
            return _example(
                NotPermitted(
                    action.value,
                    None if marker_kind is None else marker_kind.value,
                    decision.allowed_roles,
                    decision.reason,
                )
            )
    raise AssertionError("unreachable: a role no profile declares is refused everything")


def _challenge(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


def _protect(operation: dict[str, Any], action: Action, profile: PolicyProfile | None) -> None:
    operation["security"] = [{SCHEME: []}]
    problem = {"$ref": "#/components/schemas/Problem"}
    responses = operation["responses"]
    responses["401"] = {
        "description": (
            "No valid bearer token (`not-authenticated`): none was sent, or it is expired, "
            "not yet valid, for another audience or issuer, or not signed by the identity "
            "provider's keys."
        ),
        "headers": {
            "WWW-Authenticate": _challenge(
                f'`{REALM}`, with `error="invalid_token"` when a token was sent (RFC 6750).'
            )
        },
        "content": {PROBLEM_JSON: {"schema": problem, "example": _example(NotAuthenticated())}},
    }
    forbidden: dict[str, Any] = {
        "description": (
            "The token is valid, and its roles may not take this action (`not-permitted`): "
            "the problem names the `action`, the marker's `kind` where it matters, and the "
            "`allowed_roles`."
        ),
        "headers": {
            "WWW-Authenticate": _challenge(f'`{REALM}, error="insufficient_scope"` (RFC 6750).')
        },
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/NotPermitted"}}},
    }
    responses["403"] = forbidden
    unavailable = (
        "the identity provider's signing keys are not available to this service "
        "(`identity-unavailable`): the token cannot be verified just now; retry after "
        "Retry-After."
    )
    if "503" in responses:
        responses["503"]["description"] += f" Or {unavailable}"
    else:
        responses["503"] = {
            "description": unavailable[:1].upper() + unavailable[1:],
            "content": {PROBLEM_JSON: {"schema": problem}},
        }
        _retry_after(responses["503"])
    if profile is None:
        return
    by_kind = allowed_roles(profile, action)
    operation[ROLES_EXTENSION] = {kind: list(roles) for kind, roles in by_kind.items()}
    description = operation.get("description", "").rstrip()
    operation["description"] = f"{description}\n\n{_who_may(profile, by_kind)}".lstrip()
    forbidden["content"][PROBLEM_JSON]["example"] = _refusal_example(
        profile, action, next(iter(by_kind))
    )


def _not_permitted_schema() -> dict[str, Any]:
    return {
        "description": "The problem of a 403: RFC 9457, and what was refused and who may.",
        "allOf": [
            {"$ref": "#/components/schemas/Problem"},
            {
                "type": "object",
                "required": ["action", "kind", "allowed_roles"],
                "properties": {
                    "action": {
                        "type": "string",
                        "enum": [action.value for action in Action],
                        "description": "The action refused.",
                    },
                    "kind": {
                        "anyOf": [
                            {"type": "string", "enum": [kind.value for kind in MarkerKind]},
                            {"type": "null"},
                        ],
                        "description": (
                            "The marker's kind, for impose, vary and lift (decided per "
                            "kind); null when the action is decided once, or before the "
                            "kind is known."
                        ),
                    },
                    "allowed_roles": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Every role of the profile that may take it.",
                    },
                },
            },
        ],
    }


def _secure(document: dict[str, Any], app: FastAPI) -> None:
    """Every operation behind the gate declares the bearer scheme, its refusals and who may
    take it; every other one (liveness and readiness) declares that it needs nothing."""
    components = document["components"]
    components["securitySchemes"] = {SCHEME: SECURITY_SCHEME}
    components["schemas"]["NotPermitted"] = _not_permitted_schema()
    document["security"] = [{SCHEME: []}]
    actions = route_actions(app)
    profile: PolicyProfile | None = getattr(app.state, "profile", None)
    for path, path_item in document["paths"].items():
        for method, operation in path_item.items():
            action = actions.get((path, method))
            if action is None:
                operation["security"] = []
            else:
                _protect(operation, action, profile)
                if method == "post":
                    _keyed(operation)
    components.setdefault("parameters", {})["IdempotencyKey"] = IDEMPOTENCY_KEY


IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the request safe to retry (the IETF httpapi Idempotency-Key "
    "draft): the same key with the same request answers what the first answered, with "
    "`Idempotent-Replayed: true`, and records nothing more; with another request, 422; "
    "while the first is still running, 409. Keys are the caller's own and kept 24 hours "
    "after the write; a request that recorded nothing leaves its key free. A string of 1 "
    "to 255 printable ASCII characters, quoted as a Structured Field string or bare.",
    "schema": {"type": "string", "pattern": r'^(?:"[!#-\[\]-~]{1,255}"|[!#-\[\]-~]{1,255})$'},
    "example": '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
}


def _keyed(operation: dict[str, Any]) -> None:
    operation.setdefault("parameters", []).append(
        {"$ref": "#/components/parameters/IdempotencyKey"}
    )
    responses = operation["responses"]
    responses.setdefault(
        "409",
        {
            "description": "A request with the same Idempotency-Key is still running, or "
            "was recorded but its answer lost."
        },
    )
    responses["409"]["content"] = {
        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    # An operation with no body has no other 400, but a malformed key is refused all the same.
    responses.setdefault(
        "400",
        {
            "description": "The Idempotency-Key header is not valid (`invalid-idempotency-key`).",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )


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
    _secure(document, app)
    profile: PolicyProfile | None = getattr(app.state, "profile", None)
    if profile is not None:
        _follow_profile(document, profile)
    source: str = getattr(app.state, "event_source", "urn:contact-restrictions:flintshire")
    document["webhooks"], schemas[SCHEMA_NAME] = webhook_components(source)
    # The feed's events are the webhooks' events, envelope and all: one schema for both
    # (the feed's own model is left loose; its items are documented as this).
    page = schemas.get("EventPage")
    if page is not None:
        page["properties"]["events"]["items"] = {"$ref": f"#/components/schemas/{SCHEMA_NAME}"}
    _drop_unused(schemas, document)
    app.openapi_schema = copy.deepcopy(document)
    return app.openapi_schema
