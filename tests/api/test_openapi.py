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
from app.main import create_app
from app.settings import Settings
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
