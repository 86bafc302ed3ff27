"""The two reads and the batch check, as the CRM and telephony call them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Service
from tests.factories import marker, past

SCHEDULE = marker("telephone_schedule", starts_at=past(400))


async def _check(svc: Service, ref: str, **params: str) -> dict:
    response = await svc.client.get(f"/customers/{ref}/contact-check", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("week", "tuesday_11", "tuesday_12", "thursday_10"),
    [
        # GMT: London time is UTC.
        (
            "GMT",
            "2026-11-24T11:00:00+00:00",
            "2026-11-24T12:00:00+00:00",
            "2026-11-26T10:00:00+00:00",
        ),
        # BST: London time is UTC+1.
        ("BST", "2026-07-07T10:00:00Z", "2026-07-07T11:00:00Z", "2026-07-09T10:00:00+01:00"),
    ],
)
async def test_call_outside_window_is_denied_with_next_opening(
    service: Service, week: str, tuesday_11: str, tuesday_12: str, thursday_10: str
) -> None:
    await service.client.post("/customers/C1/markers", json=SCHEDULE)
    # Asked that week: `at` may go back at most 31 days.
    service.clock.fixed = datetime.fromisoformat(tuesday_12)

    inside = await _check(service, "C1", channel="phone", at=tuesday_11)
    assert inside["allowed"] is True and inside["outcome"] == "allow"
    assert inside["next_allowed_at"] is None

    outside = await _check(service, "C1", channel="phone", at=tuesday_12)
    assert outside["allowed"] is False and outside["outcome"] == "deny"
    assert outside["next_allowed_at"] == thursday_10
    assert outside["reasons"][0]["kind"] == "telephone_schedule"
    assert "email" in outside["allowed_channels"]

    email = await _check(service, "C1", channel="email", at=tuesday_12)
    assert email["allowed"] is True


async def test_suspension_and_schedule_open_together(service: Service) -> None:
    # Recorded on Monday 23 November 2026: a suspension until Tuesday 09:00, and a
    # Tuesday/Thursday 10:00-12:00 schedule. The phone opens on Tuesday at 10:00.
    service.clock.fixed = datetime(2026, 11, 23, 8, tzinfo=UTC)
    for body in (
        SCHEDULE,
        marker(
            "telephone_suspension",
            starts_at="2026-11-23T09:00:00+00:00",
            ends_at="2026-11-24T09:00:00+00:00",
        ),
    ):
        assert (await service.client.post("/customers/C1/markers", json=body)).status_code == 201
    service.clock.fixed = datetime(2026, 11, 23, 12, tzinfo=UTC)
    answer = await _check(service, "C1", channel="phone", at="2026-11-23T12:00:00+00:00")
    assert answer["next_allowed_at"] == "2026-11-24T10:00:00+00:00"
    assert {r["kind"] for r in answer["reasons"]} == {"telephone_schedule", "telephone_suspension"}


async def test_most_restrictive_outcome_wins_and_every_reason_is_listed(service: Service) -> None:
    await service.client.post("/customers/C1/markers", json=marker("single_point_of_contact"))
    await service.client.post("/customers/C1/markers", json=marker("read_and_file"))
    letter = await _check(service, "C1", channel="letter")
    assert letter["outcome"] == "read_and_file"
    assert letter["route_to"]["officer_id"] == "EMP-1"
    assert [r["kind"] for r in letter["reasons"]] == ["single_point_of_contact", "read_and_file"]

    phone = await _check(service, "C1", channel="phone")
    assert phone["outcome"] == "route_to_contact" and phone["allowed"] is True

    outbound = await _check(service, "C1", channel="letter", direction="outbound")
    assert outbound["outcome"] == "route_to_contact"


async def test_service_scope_applies_only_to_the_service_named(service: Service) -> None:
    await service.client.post(
        "/customers/C1/markers", json=marker("channel_limit", services=["Housing"])
    )
    housing = await _check(service, "C1", channel="phone", service="housing")
    assert housing["allowed"] is False
    council_tax = await _check(service, "C1", channel="phone", service="Council Tax")
    assert council_tax["allowed"] is True
    # Without a service every marker applies.
    assert (await _check(service, "C1", channel="phone"))["allowed"] is False


async def test_unknown_customer_has_no_restrictions(service: Service) -> None:
    read = await service.client.get("/customers/NEVER-SEEN/restrictions")
    assert read.status_code == 200
    body = read.json()
    assert body["restricted"] is False and body["markers"] == []
    assert body["allowed_channels"] is None and body["single_point_of_contact"] is None
    assert body["stale"] is False


async def test_etag_gives_304_until_something_changes(service: Service) -> None:
    await service.client.post("/customers/C1/markers", json=marker("channel_limit"))
    first = await service.client.get("/customers/C1/restrictions")
    etag = first.headers["etag"]
    same = await service.client.get("/customers/C1/restrictions", headers={"if-none-match": etag})
    assert same.status_code == 304 and same.content == b""
    await service.client.post("/customers/C1/markers", json=marker("read_and_file"))
    changed = await service.client.get(
        "/customers/C1/restrictions", headers={"if-none-match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_flat_format_is_the_same_answer_as_strings(service: Service) -> None:
    await service.client.post("/customers/C1/markers", json=SCHEDULE)
    at = "2026-11-24T12:00:00+00:00"
    full = await _check(service, "C1", channel="phone", at=at)
    flat = await _check(service, "C1", channel="phone", at=at, format="flat")
    assert all(isinstance(v, str) for v in flat.values())
    assert flat["allowed"] == "false" and flat["outcome"] == "deny"
    assert flat["next_allowed_at"] == full["next_allowed_at"]
    assert flat["next_allowed_at_epoch"] == str(
        int(datetime(2026, 11, 26, 10, tzinfo=UTC).timestamp())
    )
    assert flat["reason_count"] == "1"
    assert flat["reason_1_kind"] == "telephone_schedule"
    assert flat["allowed_channels"] == "email-letter-in_person-online-social_media"
    assert flat["stale"] == "false"


async def test_bad_parameters_are_problems(service: Service) -> None:
    for query in (
        "channel=fax",
        "",
        "channel=phone&at=tomorrow",
        "channel=phone&at=2026-11-24T10:00:00",
        "channel=phone&chanel=email",
        "channel=phone&channel=email",
    ):
        response = await service.client.get(f"/customers/C1/contact-check?{query}")
        assert response.status_code == 422, query
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["invalid_params"], query
    too_long = await service.client.get("/customers/" + "x" * 65 + "/restrictions")
    assert too_long.status_code == 422


async def test_a_marker_whose_end_passes_is_no_longer_in_force(service: Service) -> None:
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    await service.client.post(
        "/customers/C1/markers", json=marker("telephone_suspension", ends_at=ends.isoformat())
    )
    assert (await _check(service, "C1", channel="phone"))["allowed"] is False
    service.clock.fixed = ends
    assert (await _check(service, "C1", channel="phone"))["allowed"] is True
    read = (await service.client.get("/customers/C1/restrictions")).json()
    assert read["restricted"] is False and read["markers"] == []


async def test_batch_answers_each_customer_in_order(service: Service) -> None:
    await service.client.post("/customers/C2/markers", json=marker("channel_limit"))
    refs = ["C1", "C2", "C3", "C2"]
    response = await service.client.post(
        "/contact-checks", json={"channel": "phone", "customer_refs": refs}
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["customer_ref"] for r in results] == refs
    assert [r["allowed"] for r in results] == [True, False, True, False]


async def test_batch_over_the_limit_names_the_limit(service: Service) -> None:
    refs = [f"C{i}" for i in range(10_001)]
    response = await service.client.post(
        "/contact-checks", json={"channel": "phone", "customer_refs": refs}
    )
    assert response.status_code == 422
    assert "10000" in response.json()["detail"]


async def test_contact_quota_counts_recorded_contacts(clean_db: str) -> None:
    from tests.conftest import serve

    async with serve(clean_db, policy_profile="wrexham") as wrexham:
        await wrexham.client.post(
            "/customers/Q1/markers", json=marker("contact_quota", starts_at=past(3))
        )
        for _ in range(2):
            recorded = await wrexham.client.post(
                "/customers/Q1/contacts", json={"channel": "phone"}
            )
            assert recorded.status_code == 201
        answer = (await wrexham.client.get("/customers/Q1/contact-check?channel=phone")).json()
        assert answer["allowed"] is False
        assert answer["reasons"][0]["kind"] == "contact_quota"
        # The next Monday, 00:00 London time, starts a new week.
        next_at = datetime.fromisoformat(answer["next_allowed_at"])
        assert next_at.weekday() == 0 and (next_at.hour, next_at.minute) == (0, 0)
        outbound = (
            await wrexham.client.get("/customers/Q1/contact-check?channel=phone&direction=outbound")
        ).json()
        assert outbound["allowed"] is True
        # Wrexham sets the suspension's end: none given is refused.
        suspension = await wrexham.client.post(
            "/customers/Q1/markers", json=marker("telephone_suspension")
        )
        assert suspension.status_code == 422


async def test_flat_says_none_when_no_channel_is_open(service: Service) -> None:
    await service.client.post(
        "/customers/C1/markers", json=marker("channel_limit", details={"channels": ["phone"]})
    )
    await service.client.post("/customers/C1/markers", json=marker("telephone_suspension"))
    full = await _check(service, "C1", channel="email")
    flat = await _check(service, "C1", channel="email", format="flat")
    assert full["allowed_channels"] == []
    assert flat["allowed_channels"] == "none"
