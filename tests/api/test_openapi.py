"""The committed OpenAPI document is the app's, and complete enough to work from /docs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.cli import openapi_text
from app.domain.policy import matrix
from app.domain.policy.profile import load_profile
from app.domain.vocabulary import Action, MarkerKind, PolicyProfileName
from app.main import create_app
from app.settings import Settings
from app.web.openapi import route_actions
from tests.conftest import Service

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), (
        "openapi/openapi.json is out of date: run `make openapi` and commit it"
    )


def test_every_operation_is_documented_for_an_admin() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("description"), where
            statuses = set(operation["responses"])
            if path not in ("/healthz",):
                assert statuses & {"422", "503", "404"}, where
            assert any(s.startswith("4") for s in statuses), where
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], where
                if status == "503" and path != "/readyz":
                    assert "Retry-After" in response["headers"], where


async def test_docs_are_served_without_a_cdn(service: Service) -> None:
    page = await service.client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    script = page.text.split('<script src="', 1)[1].split('"', 1)[0]
    asset = await service.client.get(script)
    assert asset.status_code == 200 and len(asset.content) > 500_000


def _has_example(content: dict | None, schemas: dict) -> bool:
    if not content:
        return False
    if "example" in content or "examples" in content:
        return True
    schema = content.get("schema", {})
    if "examples" in schema:
        return True
    ref = schema.get("$ref")
    return bool(ref) and "examples" in schemas[ref.rsplit("/", 1)[-1]]


def test_every_operation_shows_examples() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            assert body is None or _has_example(body, schemas), where
            success = next(s for s in operation["responses"] if s.startswith("2"))
            content = operation["responses"][success].get("content", {}).get("application/json")
            assert _has_example(content, schemas), where


def _examples(node: Any, pointer: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every example in the document, with the pointer of the schema it illustrates."""
    if isinstance(node, dict):
        if "schema" in node:
            schema_at = pointer + "/schema"
            if "example" in node:
                yield pointer + "/example", schema_at, node["example"]
            for name, example in (node.get("examples") or {}).items():
                if isinstance(example, dict) and "value" in example:
                    yield f"{pointer}/examples/{name}", schema_at, example["value"]
        if isinstance(node.get("examples"), list) and (
            "type" in node
            or "$ref" in node
            or "properties" in node
            or "anyOf" in node
            or "oneOf" in node
        ):
            for i, example in enumerate(node["examples"]):
                yield f"{pointer}/examples/{i}", pointer, example
        for key, value in node.items():
            yield from _examples(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _examples(value, f"{pointer}/{i}")


def test_every_example_is_valid_against_its_schema() -> None:
    """A mock server built from the examples must not break a generated client: every
    required key present (nulls included), every value of its declared type and form."""
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    found = list(_examples(document))
    assert len(found) > 40
    faults = []
    for where, schema_at, example in found:
        validator = Draft202012Validator(
            {"$ref": "urn:openapi#" + schema_at}, registry=registry, format_checker=FormatChecker()
        )
        faults += [f"{where}: {e.message}" for e in validator.iter_errors(example)]
    assert faults == []


def test_examples_keep_their_nulls() -> None:
    paths = json.loads(COMMITTED.read_text(encoding="utf-8"))["paths"]
    read = paths["/customers/{customer_ref}/restrictions"]["get"]["responses"]["200"]
    [example] = read["content"]["application/json"]["example"]["markers"]
    assert example["ends_at"] is None and example["details"]["max_call_minutes"] is None
    check = paths["/customers/{customer_ref}/contact-check"]["get"]["responses"]["200"]
    assert check["content"]["application/json"]["example"]["route_to"] is None


@pytest.mark.parametrize(("profile", "offered"), [("flintshire", False), ("wrexham", True)])
def test_the_served_spec_follows_the_policy_profile(profile: str, offered: bool) -> None:
    app = create_app(Settings(policy_profile=profile), database_url="postgresql://unused@/unused")
    document = app.openapi()
    body = document["paths"]["/customers/{customer_ref}/markers"]["post"]["requestBody"]
    kinds = set(body["content"]["application/json"]["schema"]["discriminator"]["mapping"])
    assert ("contact_quota" in kinds) is offered
    assert len(kinds) == (8 if offered else 7)
    suspension = document["components"]["schemas"]["ImposeTelephoneSuspension"]
    # Wrexham's telephone suspension must say when it ends; Flintshire's lasts 24 hours.
    assert ("ends_at" in suspension.get("required", [])) is offered


def test_ids_are_uuids_and_days_do_not_repeat() -> None:
    schemas = json.loads(COMMITTED.read_text(encoding="utf-8"))["components"]["schemas"]
    assert schemas["ReasonOut"]["properties"]["marker_id"]["format"] == "uuid"
    assert schemas["TelephoneScheduleMarker"]["properties"]["id"]["format"] == "uuid"
    assert schemas["ScheduleWindow"]["properties"]["days"]["uniqueItems"] is True
    assert schemas["ChannelLimitDetails"]["properties"]["channels"]["uniqueItems"] is True
    assert "ends_at" in schemas["TelephoneScheduleMarker"]["required"]
    assert set(schemas["TelephoneScheduleDetailsOut"]["required"]) == {
        "windows",
        "max_call_minutes",
    }


def test_every_operation_with_a_body_declares_the_body_problems() -> None:
    """A body can be too large (413), arrive too slowly (408), or not be JSON (400): every
    operation that takes one says so, so a generated client knows these answers."""
    import json
    from pathlib import Path

    spec = json.loads((Path(__file__).parents[2] / "openapi" / "openapi.json").read_text())
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                declared = set(operation["responses"])
                assert {"400", "408", "413"} <= declared, (method, path)


def test_an_officer_with_no_way_to_reach_them_is_not_schema_valid() -> None:
    """The server refuses a single point of contact with neither phone nor email, so the
    spec must not allow one, not even as an explicit null (schemathesis found that)."""
    import json
    from pathlib import Path

    import jsonschema

    spec = json.loads((Path(__file__).parents[2] / "openapi" / "openapi.json").read_text())
    schema = {
        **spec["components"]["schemas"]["SinglePointOfContactDetails"],
        "components": spec["components"],
    }
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"officer_id": "E1", "name": "N", "email": "n@example.gov.uk"})
    assert not validator.is_valid({"officer_id": "E1", "name": "N", "email": None})
    assert not validator.is_valid({"officer_id": "E1", "name": "N"})


OPEN = {"/healthz", "/readyz"}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_but_liveness_and_readiness_needs_a_bearer_token() -> None:
    """What /docs' Authorize button and generated clients go by: the scheme, and on every
    operation behind the gate its security and the refusals it can give."""
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert "identity provider" in scheme["description"]
    assert document["security"] == [{"bearer": []}]
    open_paths = set()
    for path, method, operation in _operations(document):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        if operation["security"] == []:
            open_paths.add(path)
            assert not {"401", "403"} & set(responses), where
            assert "x-roles" not in operation, where
            continue
        assert operation["security"] == [{"bearer": []}], where
        unauthenticated, refused = responses["401"], responses["403"]
        assert "WWW-Authenticate" in unauthenticated["headers"], where
        assert "WWW-Authenticate" in refused["headers"], where
        for response in (unauthenticated, refused):
            assert list(response["content"]) == ["application/problem+json"], where
        problem = refused["content"]["application/problem+json"]
        assert problem["schema"] == {"$ref": "#/components/schemas/NotPermitted"}, where
        assert {"action", "kind", "allowed_roles"} <= set(problem["example"]), where
        assert "identity-unavailable" in responses["503"]["description"], where
        assert "Retry-After" in responses["503"]["headers"], where
    assert open_paths == OPEN


# Independent of how the document finds them: the action each operation is gated by.
KNOWN_ACTIONS = {
    ("get", "/customers/{customer_ref}/restrictions"): Action.READ_RESTRICTIONS,
    ("get", "/customers/{customer_ref}/contact-check"): Action.CHECK_CONTACT,
    ("get", "/customers/{customer_ref}/contact-check/flat"): Action.CHECK_CONTACT,
    ("post", "/contact-checks"): Action.CHECK_CONTACT,
    ("post", "/customers/{customer_ref}/markers"): Action.IMPOSE_MARKER,
    ("get", "/markers/{marker_id}"): Action.READ_MARKER,
    ("post", "/markers/{marker_id}/variations"): Action.VARY_MARKER,
    ("post", "/markers/{marker_id}/lift"): Action.LIFT_MARKER,
    ("put", "/customers/{customer_ref}"): Action.SET_PREFERENCES,
    ("post", "/customers/{customer_ref}/contacts"): Action.RECORD_CONTACT,
}


@pytest.mark.parametrize("name", ["flintshire", "wrexham"])
def test_the_roles_documented_are_the_ones_the_matrix_allows(name: str) -> None:
    """For every operation, each role of the profile is listed (in x-roles and in the
    description's "Who may") exactly when the decision matrix lets it take the operation's
    action, per marker kind for impose, vary and lift."""
    app = create_app(Settings(policy_profile=name), database_url="postgresql://unused@/unused")
    profile = load_profile(PolicyProfileName(name))
    document = app.openapi()
    actions = route_actions(app)
    assert {(m, p): a for (p, m), a in actions.items()}.items() >= KNOWN_ACTIONS.items()
    for path, method, operation in _operations(document):
        where = f"{method.upper()} {path}"
        if path in OPEN:
            continue
        action = actions[(path, method)]
        listed = operation["x-roles"]
        kinds: list[MarkerKind | None] = (
            [None] if (action, None) in profile.access.rules else sorted(profile.kinds)
        )
        assert set(listed) == {"*" if k is None else k.value for k in kinds}, where
        for kind in kinds:
            roles = listed["*" if kind is None else kind.value]
            assert roles, where
            for role in sorted(profile.access.roles):
                allowed = matrix.decide(profile, frozenset({role}), action, kind).allowed
                assert (role in roles) is allowed, (where, kind, role)
        who_may = operation["description"].split("**Who may**", 1)[1]
        assert profile.council in who_may, where
        for kind in kinds:
            line = who_may.split("): " if kind is None else f"- `{kind.value}`: ", 1)[1]
            shown = line.split("\n", 1)[0].rstrip(".").split(", ")
            assert shown == [f"`{role}`" for role in listed["*" if kind is None else kind.value]]


async def test_a_bad_idempotency_key_is_a_documented_400_even_without_a_body(
    service: Service,
) -> None:
    """The operations that take no body (pausing a subscription) refuse a malformed key as
    the others do, and say so."""
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    created = await service.client.post("/subscriptions", json={"url": "https://crm.example.com/h"})
    assert created.status_code == 201, created.text
    path = "/subscriptions/{subscription_id}/pause"
    assert "requestBody" not in document["paths"][path]["post"]
    assert "400" in document["paths"][path]["post"]["responses"]
    refused = await service.client.post(
        path.format(subscription_id=created.json()["id"]), headers={"Idempotency-Key": ""}
    )
    assert refused.status_code == 400
    assert refused.json()["type"].endswith("invalid-idempotency-key")
