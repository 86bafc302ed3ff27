"""The outbox and the feed: every change writes its event in its own transaction (a
refused write leaves none), numbered per customer in commit order, read back by cursor."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from app.domain.time.clock import utcnow
from app.domain.time.london import to_london
from tests.api.test_decisions import SCHEDULE, formal
from tests.api.test_incidents import incident
from tests.conftest import serve
from tests.events.test_delivery import EVENTS, customer_story, feed, per_customer
from tests.factories import marker


async def _published(service: Any, count: int) -> list[dict[str, Any]]:
    """The feed once the dispatcher has published `count` events (it numbers them as
    they commit)."""
    for _ in range(200):
        events = await feed(service)
        if len(events) >= count:
            return events
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} events not published")


async def test_each_change_writes_its_event_with_thin_data(clean_db: str) -> None:
    async with serve(clean_db, **EVENTS) as service:
        await customer_story(service, "STORY")
        events = await _published(service, 5)
    assert [e["type"] for e in events] == [
        "contactrestrictions.marker.imposed",
        "contactrestrictions.marker.varied",
        "contactrestrictions.incident.recorded",
        "contactrestrictions.customer.preferences_changed",
        "contactrestrictions.marker.lifted",
    ]
    for event in events:
        assert event["specversion"] == "1.0"
        assert event["subject"] == event["partitionkey"] == "STORY"
        assert event["source"] == "urn:contact-restrictions:flintshire"
        assert event["time"].endswith(("+00:00", "+01:00"))
    # Thin: no reason, note, service wording or names (the factories' texts).
    text = str(events)
    for free_text in ("Test reason", "shouted", "Housing", "EMP-1042"):
        assert free_text not in text
    imposed, varied, recorded, language, lifted = (e["data"] for e in events)
    assert imposed["link"] == f"/markers/{imposed['marker_id']}"
    assert (imposed["version"], varied["version"], lifted["version"]) == (1, 2, 3)
    assert lifted["lifted_at"] is not None
    assert recorded["category"] == "aggressive_abusive"
    assert language["preferred_language"] == "cy"


async def test_a_refused_write_leaves_no_event_and_a_contact_none(clean_db: str) -> None:
    async with serve(clean_db, **EVENTS) as service:
        refused = await service.client.post(
            "/customers/NONE/markers", json=marker("read_and_file", review_due="2000-01-01")
        )
        assert refused.status_code == 422
        contact = await service.client.post("/customers/NONE/contacts", json={"channel": "phone"})
        assert contact.status_code == 201, contact.text
        imposed = await service.client.post("/customers/NONE/markers", json=marker("read_and_file"))
        assert imposed.status_code == 201
        events = await _published(service, 1)
        await asyncio.sleep(0.3)
        assert len(await feed(service)) == 1
    assert events[0]["sequence"] == "00000000000000000001"


async def test_a_decision_s_event_follows_those_of_the_markers_it_imposed(clean_db: str) -> None:
    async with serve(clean_db, **EVENTS) as service:
        created = await service.client.post("/customers/LADDER/incidents", json=incident())
        decided = await service.client.post(
            "/customers/LADDER/formal-decisions", json=formal([created.json()["id"]], [SCHEDULE])
        )
        assert decided.status_code == 201, decided.text
        events = await _published(service, 3)
    assert [(e["type"], e["sequence"][-1]) for e in events] == [
        ("contactrestrictions.incident.recorded", "1"),
        ("contactrestrictions.marker.imposed", "2"),
        ("contactrestrictions.decision.recorded", "3"),
    ]
    decision = events[2]["data"]
    assert decision["decision_id"] == decided.json()["id"]
    assert decision["step"] == "formal_decision"
    assert decision["marker_ids"] == [events[1]["data"]["marker_id"]]


async def test_reviews_appeals_and_corrections_have_events_of_their_own(clean_db: str) -> None:
    async with serve(clean_db, **EVENTS) as service:
        created = await service.client.post("/customers/LIFE/incidents", json=incident())
        decided = await service.client.post(
            "/customers/LIFE/formal-decisions", json=formal([created.json()["id"]], [SCHEDULE])
        )
        decision = decided.json()["id"]
        today = to_london(utcnow()).date()
        fixed = await service.client.post(
            f"/decisions/{decision}/corrections",
            json={"expected_version": 1, "reason": "typo", "details": {"duration": "Six months"}},
        )
        assert fixed.status_code == 201, fixed.text
        reviewed = await service.client.post(
            f"/decisions/{decision}/reviews",
            json={
                "outcome": "continue",
                "reasons": "Still needed.",
                "next_review_due": (today + timedelta(days=60)).isoformat(),
            },
        )
        assert reviewed.status_code == 201, reviewed.text
        lodged = await service.client.post(
            f"/decisions/{decision}/appeals",
            json={"appeal_received_on": today.isoformat(), "grounds": "Unfair."},
        )
        assert lodged.status_code == 201, lodged.text
        decided_appeal = await service.client.post(
            f"/appeals/{lodged.json()['id']}/decision",
            json={"outcome": "upheld", "reasons": "Proportionate."},
            headers=service.bearer("chief_officer_governance", subject="appeals-officer"),
        )
        assert decided_appeal.status_code == 201, decided_appeal.text
        events = await _published(service, 8)
    kinds = [e["type"].removeprefix("contactrestrictions.") for e in events]
    # A continuing review carries each marker's review date forward (a variation).
    assert [k for k in kinds if not k.startswith("marker.")] == [
        "incident.recorded",
        "decision.recorded",
        "decision.corrected",
        "review.recorded",
        "appeal.lodged",
        "appeal.decided",
    ]
    by_type = {e["type"].removeprefix("contactrestrictions."): e["data"] for e in events}
    assert by_type["decision.corrected"]["version"] == 2
    assert by_type["review.recorded"]["about_id"] == decision
    assert by_type["review.recorded"]["outcome"] == "continue"
    assert by_type["appeal.lodged"]["late"] is False
    assert by_type["appeal.lodged"]["decided_by_role"] == "chief_officer_governance"
    assert by_type["appeal.decided"]["outcome"] == "upheld"
    # Thin: the reasons and grounds stay in the case file.
    for free_text in ("Still needed", "Unfair", "Proportionate", "typo"):
        assert free_text not in str(events)


async def test_concurrent_writes_for_one_customer_are_numbered_without_gaps(
    clean_db: str,
) -> None:
    async with serve(clean_db, **EVENTS) as service:
        results = await asyncio.gather(
            *(service.client.post("/customers/BUSY/incidents", json=incident()) for _ in range(12)),
            *(
                service.client.put("/customers/BUSY", json={"preferred_language": lang})
                for lang in ["cy", "en"] * 4
            ),
        )
        assert all(r.is_success for r in results), [r.text for r in results]
        events = await _published(service, 20)
    assert per_customer(events) == {"BUSY": list(range(1, 21))}


async def test_the_feed_pages_by_cursor_and_filters(clean_db: str) -> None:
    async with serve(clean_db, **EVENTS) as service:
        await asyncio.gather(*(customer_story(service, f"FEED-{n}") for n in range(3)))
        everything = await _published(service, 15)
        # Pages of 7, in feed order; each customer's events in sequence order.
        assert per_customer(everything) == {f"FEED-{n}": [1, 2, 3, 4, 5] for n in range(3)}
        assert len({e["id"] for e in everything}) == 15
        one = await feed(service, customer_ref="FEED-1")
        assert [e["id"] for e in one] == [e["id"] for e in everything if e["subject"] == "FEED-1"]
        lifted = await feed(service, type="contactrestrictions.marker.lifted")
        assert sorted(e["subject"] for e in lifted) == ["FEED-0", "FEED-1", "FEED-2"]
        page = await service.client.get("/events", params={"limit": 4})
        later = await service.client.get("/events", params={"after": page.json()["next"]})
        assert [e["id"] for e in page.json()["events"] + later.json()["events"]] == [
            e["id"] for e in everything
        ]
        # At the end, the same cursor comes back.
        end = await service.client.get("/events", params={"after": later.json()["next"]})
        assert end.json() == {"events": [], "next": later.json()["next"]}
        for bad in ({"after": "x1"}, {"type": "marker.imposed"}, {"limit": 0}):
            refused = await service.client.get("/events", params=bad)
            assert refused.status_code == 422, (bad, refused.text)
        # The reader, the auditor and staff read it; the admin and the contact recorder not.
        for role, status in [("reader", 200), ("auditor", 200), ("employee", 200)]:
            assert (
                await service.client.get("/events", headers=service.bearer(role))
            ).status_code == status
        for role in ("admin", "contact_recorder"):
            assert (
                await service.client.get("/events", headers=service.bearer(role))
            ).status_code == 403
