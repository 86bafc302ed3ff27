"""A write this instance has committed is never missing from its own answers, even when
the database cannot be read back after the commit and the change feed is away."""

from __future__ import annotations

from tests.conftest import Service
from tests.factories import marker


def _database_unreadable(service: Service) -> None:
    async def refused(customer_ref: str, now: object) -> None:
        raise ConnectionRefusedError("the read pool cannot connect")

    # The read-back goes through the read pool; the write itself (the engine) still works.
    service.app.state.reads._load = refused


async def test_a_restriction_just_imposed_is_in_a_stale_answer(service: Service) -> None:
    await service.app.state.feed.stop()
    _database_unreadable(service)

    imposed = await service.client.post(
        "/customers/C1/markers", json=marker("telephone_suspension")
    )
    assert imposed.status_code == 201

    check = await service.client.get("/customers/C1/contact-check?channel=phone")
    body = check.json()
    assert body["stale"] is True
    assert body["allowed"] is False
    assert [r["marker_id"] for r in body["reasons"]] == [imposed.json()["id"]]


async def test_a_restriction_just_lifted_leaves_a_stale_answer(service: Service) -> None:
    imposed = (
        await service.client.post("/customers/C1/markers", json=marker("telephone_suspension"))
    ).json()
    await service.app.state.feed.stop()
    _database_unreadable(service)

    lifted = await service.client.post(
        f"/markers/{imposed['id']}/lift", json={"reason": "Apology."}
    )
    assert lifted.status_code == 200

    body = (await service.client.get("/customers/C1/restrictions")).json()
    assert body["stale"] is True
    assert body["markers"] == []
