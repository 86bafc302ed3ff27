"""Request bodies are JSON as sent: no string read as a boolean or an integer, JSON only,
in UTF-8 only (issue 12, item 7)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Service
from tests.factories import marker

PROBLEM = "application/problem+json"


async def _imposed(service: Service, **overrides: Any) -> dict[str, Any]:
    response = await service.client.post(
        "/customers/C1/markers", json=marker("channel_limit", services=["Housing"], **overrides)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("whole_council", ["yes", "true", 1, "1"])
async def test_a_string_is_not_a_boolean(service: Service, whole_council: object) -> None:
    imposed = await _imposed(service)
    response = await service.client.post(
        f"/markers/{imposed['id']}/variations",
        json={"whole_council": whole_council, "reason": "Widen."},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert [p["name"] for p in response.json()["invalid_params"]] == ["body.whole_council"]
    again = (await service.client.get(f"/markers/{imposed['id']}")).json()
    assert again["services"] == ["Housing"] and again["version"] == 1


@pytest.mark.parametrize("version", ["1", True, 1.5])
async def test_expected_version_must_be_an_integer(service: Service, version: object) -> None:
    imposed = await _imposed(service)
    response = await service.client.post(
        f"/markers/{imposed['id']}/variations",
        json={"expected_version": version, "reason": "Vary."},
    )
    assert response.status_code == 422, response.text
    assert [p["name"] for p in response.json()["invalid_params"]] == ["body.expected_version"]


async def test_integers_in_details_are_integers(service: Service) -> None:
    body = marker(
        "telephone_schedule",
        details={
            "windows": [{"days": ["tuesday"], "start": "10:00", "end": "12:00"}],
            "max_call_minutes": "15",
        },
    )
    response = await service.client.post("/customers/C1/markers", json=body)
    assert response.status_code == 422, response.text
    assert [p["name"] for p in response.json()["invalid_params"]] == [
        "body.details.max_call_minutes"
    ]


async def test_booleans_and_integers_sent_as_json_still_work(service: Service) -> None:
    imposed = await _imposed(service)
    response = await service.client.post(
        f"/markers/{imposed['id']}/variations",
        json={"whole_council": True, "expected_version": 1, "reason": "W."},
    )
    assert response.status_code == 200, response.text
    assert response.json()["services"] is None


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_a_body_that_is_not_json_is_415(service: Service, content_type: str) -> None:
    response = await service.client.post(
        "/customers/C1/contacts",
        content=b'{"channel": "phone"}',
        headers={"content-type": content_type},
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"].endswith("unsupported-media-type")
    assert "dictionary" not in problem["detail"]


async def test_malformed_json_is_400_as_documented(service: Service) -> None:
    response = await service.client.post(
        "/customers/C1/contacts",
        content=b'{"channel": "phone",',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("bad-request")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
async def test_json_in_another_encoding_is_400(service: Service, encoding: str) -> None:
    text = '{"channel": "phone"}'
    response = await service.client.post(
        "/customers/C1/contacts",
        content=text.encode(encoding),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "UTF-8" in response.json()["detail"]
    check = await service.client.get("/customers/C1/restrictions")
    assert check.status_code == 200


async def test_a_charset_other_than_utf8_is_415(service: Service) -> None:
    response = await service.client.post(
        "/customers/C1/contacts",
        content='{"channel": "phone"}'.encode("utf-16"),
        headers={"content-type": "application/json; charset=utf-16"},
    )
    assert response.status_code == 415, response.text


async def test_json_with_its_charset_is_accepted(service: Service) -> None:
    response = await service.client.post(
        "/customers/C1/contacts",
        content=b'{"channel": "phone"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text
