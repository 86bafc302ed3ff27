"""No silent duplicate restrictions: a second marker of a kind already in force (or
scheduled) for the customer over overlapping services is a 409 unless asked for with
`"additional": true`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.domain.time.clock import utcnow
from tests.api.test_markers import KINDS_FLINTSHIRE
from tests.conftest import Service, serve
from tests.factories import marker


def tuesday_only() -> dict[str, object]:
    return marker(
        "telephone_schedule",
        details={"windows": [{"days": ["tuesday"], "start": "10:00", "end": "12:00"}]},
    )


def thursday_only() -> dict[str, object]:
    return marker(
        "telephone_schedule",
        details={"windows": [{"days": ["thursday"], "start": "10:00", "end": "12:00"}]},
    )


async def test_a_second_schedule_is_refused_naming_the_first(service: Service) -> None:
    """The finding: Tuesday-only plus Thursday-only silently meant never."""
    first = await service.client.post("/customers/C1/markers", json=tuesday_only())
    assert first.status_code == 201
    first_id = first.json()["id"]

    second = await service.client.post("/customers/C1/markers", json=thursday_only())
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    problem = second.json()
    assert problem["type"].endswith(":conflict")
    assert first_id in problem["detail"]
    assert f"/markers/{first_id}/variations" in problem["detail"]
    assert '"additional": true' in problem["detail"]

    read = (await service.client.get("/customers/C1/restrictions")).json()
    assert [m["id"] for m in read["markers"]] == [first_id]


async def test_additional_true_imposes_a_second_on_purpose(service: Service) -> None:
    assert (
        await service.client.post("/customers/C1/markers", json=tuesday_only())
    ).status_code == 201
    second = await service.client.post(
        "/customers/C1/markers", json={**thursday_only(), "additional": True}
    )
    assert second.status_code == 201, second.text
    read = (await service.client.get("/customers/C1/restrictions")).json()
    assert len(read["markers"]) == 2


async def test_additional_must_be_a_json_boolean(service: Service) -> None:
    assert (
        await service.client.post("/customers/C1/markers", json=tuesday_only())
    ).status_code == 201
    for value in ("true", 1):
        response = await service.client.post(
            "/customers/C1/markers", json={**thursday_only(), "additional": value}
        )
        assert response.status_code == 422, value


@pytest.mark.parametrize("kind", KINDS_FLINTSHIRE)
async def test_every_kind_is_refused_twice(service: Service, kind: str) -> None:
    assert (await service.client.post("/customers/C1/markers", json=marker(kind))).status_code == (
        201
    )
    again = await service.client.post("/customers/C1/markers", json=marker(kind))
    assert again.status_code == 409, again.text
    # Another customer is not affected.
    assert (await service.client.post("/customers/C2/markers", json=marker(kind))).status_code == (
        201
    )


async def test_overlap_follows_the_services(service: Service) -> None:
    limit = marker("channel_limit", services=["Housing"])
    assert (await service.client.post("/customers/C1/markers", json=limit)).status_code == 201
    benefits = marker("channel_limit", services=["Benefits"])
    assert (await service.client.post("/customers/C1/markers", json=benefits)).status_code == 201
    # The whole council overlaps every service; services compare without case.
    whole = marker("channel_limit")
    assert (await service.client.post("/customers/C1/markers", json=whole)).status_code == 409
    housing = marker("channel_limit", services=["housing", "Planning"])
    assert (await service.client.post("/customers/C1/markers", json=housing)).status_code == 409


async def test_scheduled_markers_count_and_ended_or_lifted_ones_do_not(service: Service) -> None:
    now = utcnow()
    later = marker(
        "telephone_suspension",
        starts_at=(now + timedelta(days=2)).isoformat(),
        ends_at=(now + timedelta(days=3)).isoformat(),
    )
    scheduled = await service.client.post("/customers/C1/markers", json=later)
    assert scheduled.status_code == 201
    assert scheduled.json()["status"] == "scheduled"
    # Today's 24 hours end before the scheduled one starts: not a duplicate.
    today = await service.client.post("/customers/C1/markers", json=marker("telephone_suspension"))
    assert today.status_code == 201, today.text
    # One covering both is.
    long = marker("telephone_suspension", ends_at=(now + timedelta(days=4)).isoformat())
    conflict = await service.client.post("/customers/C1/markers", json=long)
    assert conflict.status_code == 409
    # It names the marker in force now, not the one still to come.
    assert today.json()["id"] in conflict.json()["detail"]
    assert "already active" in conflict.json()["detail"]

    for created in (today, scheduled):
        lifted = await service.client.post(
            f"/markers/{created.json()['id']}/lift", json={"reason": "r"}
        )
        assert lifted.status_code == 200
    assert (await service.client.post("/customers/C1/markers", json=long)).status_code == 201


async def test_wrexham_quotas_on_other_channels_stand_side_by_side(clean_db: str) -> None:
    async with serve(clean_db, policy_profile="wrexham") as wrexham:
        phone = marker("contact_quota")
        email = marker("contact_quota", details={"channel": "email", "limit": 5, "period": "day"})
        url = "/customers/C1/markers"
        assert (await wrexham.client.post(url, json=phone)).status_code == 201
        assert (await wrexham.client.post(url, json=email)).status_code == 201
        assert (await wrexham.client.post(url, json=phone)).status_code == 409


async def test_concurrent_impositions_give_one_marker(service: Service) -> None:
    """Two decisions for one customer at once must not both pass the check."""
    # A customer already on record: a new one's row insert would serialise them anyway.
    assert (
        await service.client.put("/customers/C1", json={"preferred_language": "en"})
    ).status_code == 200
    attempts = 12
    responses = await asyncio.gather(
        *(
            service.client.post("/customers/C1/markers", json=tuesday_only())
            for _ in range(attempts)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (attempts - 1), codes
    read = (await service.client.get("/customers/C1/restrictions?include=all")).json()
    assert len(read["markers"]) == 1
