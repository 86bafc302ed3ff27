"""The committed OpenAPI document is the app's, and complete enough to work from /docs."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import openapi_text
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
            statuses = {int(s) for s in operation["responses"]}
            if path not in ("/healthz",):
                assert statuses & {422, 503, 404}, where
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], where


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
