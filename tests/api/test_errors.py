"""Validation problems an integrator can act on (issue 12, item 9): one entry per fault,
named by its path in the body as sent, explained in words."""

from __future__ import annotations

from typing import Any

from tests.conftest import Service
from tests.factories import marker


async def _problem(service: Service, body: Any, path: str = "/customers/C1/markers") -> Any:
    response = await service.client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def _schedule(**window: Any) -> dict[str, Any]:
    return marker(
        "telephone_schedule",
        details={"windows": [{"days": ["tuesday"], "start": "10:00", "end": "12:00", **window}]},
    )


async def test_one_wrong_day_gives_one_entry_named_as_sent(service: Service) -> None:
    problem = await _problem(service, _schedule(days=["tuesday", "thursdy"]))
    assert problem["invalid_params"] == [
        {
            "name": "body.details.windows.0.days.1",
            "reason": "Input should be 'monday', 'tuesday', 'wednesday', 'thursday', "
            "'friday', 'saturday' or 'sunday'",
        }
    ]
    assert "telephone_schedule" not in problem["detail"]


async def test_a_bad_time_is_explained_in_words(service: Service) -> None:
    problem = await _problem(service, _schedule(end="25:00"))
    [param] = problem["invalid_params"]
    assert param["name"] == "body.details.windows.0.end"
    assert "HH:MM" in param["reason"] and "00:00 to 24:00" in param["reason"]
    assert "^" not in param["reason"] and "\\d" not in param["reason"]


async def test_patterns_of_text_fields_are_explained(service: Service) -> None:
    body = marker(
        "single_point_of_contact",
        details={"officer_id": "EMP 1", "name": "A", "phone": "call me"},
    )
    problem = await _problem(service, body)
    reasons = {p["name"]: p["reason"] for p in problem["invalid_params"]}
    assert set(reasons) == {"body.details.officer_id", "body.details.phone"}
    assert "spaces" in reasons["body.details.officer_id"]
    assert "telephone number" in reasons["body.details.phone"]


async def test_a_missing_kind_says_which_kinds_exist(service: Service) -> None:
    body = marker("channel_limit")
    del body["kind"]
    problem = await _problem(service, body)
    [param] = problem["invalid_params"]
    assert param["name"] == "body"
    assert "telephone_schedule" in param["reason"] and "channel_limit" in param["reason"]
    # The default (Flintshire) profile has no contact quota: it is not offered.
    assert "contact_quota" not in param["reason"]
    assert "discriminator" not in param["reason"]


async def test_an_unknown_kind_says_which_kinds_exist(service: Service) -> None:
    problem = await _problem(service, {**marker("channel_limit"), "kind": "phone_ban"})
    [param] = problem["invalid_params"]
    assert "phone_ban" in param["reason"] and "telephone_suspension" in param["reason"]
    assert "MarkerKind" not in param["reason"]


async def test_a_local_time_asks_for_an_offset(service: Service) -> None:
    problem = await _problem(service, marker("channel_limit", starts_at="2026-11-24T10:00:00"))
    [param] = problem["invalid_params"]
    assert param["name"] == "body.starts_at"
    assert "offset" in param["reason"]


async def test_an_unescaped_plus_in_at_gets_a_hint(service: Service) -> None:
    response = await service.client.get(
        "/customers/C1/contact-check?channel=phone&at=2026-11-24T12:00:00+00:00"
    )
    assert response.status_code == 422, response.text
    [param] = response.json()["invalid_params"]
    assert param["name"] == "query.at"
    assert "%2B" in param["reason"] and "Z" in param["reason"]


async def test_the_same_hint_on_the_flat_path(service: Service) -> None:
    response = await service.client.get(
        "/customers/C1/contact-check/flat?channel=phone&at=2026-11-24T12:00:00+01:00"
    )
    assert response.status_code == 422, response.text
    assert "%2B" in response.json()["invalid_params"][0]["reason"]
