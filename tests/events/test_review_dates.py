"""A review date comes and goes with nobody acting: `review.due` at its first instant and,
unless the review was done, `review.overdue` at the first instant after it, once each,
through the service's clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.domain.lifecycle.reviews import overdue_at
from app.domain.time.clock import utcnow
from app.domain.time.london import to_london
from tests.api.test_decisions import SCHEDULE, formal
from tests.api.test_incidents import incident
from tests.conftest import Service, serve
from tests.events.test_delivery import EVENTS, feed

REVIEW_DUE = "contactrestrictions.review.due"
REVIEW_OVERDUE = "contactrestrictions.review.overdue"


async def _decide(service: Service, ref: str, review_due: str) -> str:
    created = await service.client.post(f"/customers/{ref}/incidents", json=incident())
    body = formal([created.json()["id"]], [SCHEDULE], review_due=review_due)
    decided = await service.client.post(f"/customers/{ref}/formal-decisions", json=body)
    assert decided.status_code == 201, decided.text
    return str(decided.json()["id"])


async def _review_events(service: Service) -> list[tuple[str, str]]:
    await asyncio.sleep(0.6)  # a few dispatcher turns
    events = [e for e in await feed(service) if e["type"] in (REVIEW_DUE, REVIEW_OVERDUE)]
    return [(e["type"], e["data"]["decision_id"]) for e in events]


async def test_due_then_overdue_at_their_instants_unless_reviewed(clean_db: str) -> None:
    async with serve(clean_db, **EVENTS) as service:
        due = to_london(utcnow()).date() + timedelta(days=3)
        missed = await _decide(service, "REVIEW-MISSED", due.isoformat())
        reviewed = await _decide(service, "REVIEW-DONE", due.isoformat())
        # Reviewed early, on the day of the decision: its next date is two months on.
        done = await service.client.post(
            f"/decisions/{reviewed}/reviews",
            json={
                "outcome": "continue",
                "reasons": "Still needed.",
                "next_review_due": (due + timedelta(days=60)).isoformat(),
            },
        )
        assert done.status_code == 201, done.text

        starts = overdue_at(due - timedelta(days=1))
        service.clock.fixed = starts - timedelta(seconds=1)
        assert await _review_events(service) == []
        service.clock.fixed = starts
        assert await _review_events(service) == [(REVIEW_DUE, missed)]
        service.clock.fixed = overdue_at(due) - timedelta(seconds=1)
        assert await _review_events(service) == [(REVIEW_DUE, missed)]
        service.clock.fixed = overdue_at(due)
        events = await _review_events(service)
        assert events == [(REVIEW_DUE, missed), (REVIEW_OVERDUE, missed)]
        # Once: later turns of the dispatcher add nothing.
        service.clock.fixed = overdue_at(due) + timedelta(hours=5)
        assert await _review_events(service) == events
        overdue = next(e for e in await feed(service) if e["type"] == REVIEW_OVERDUE)
    assert overdue["time"] == to_london(overdue_at(due)).isoformat()
    assert overdue["data"] == {
        "decision_id": missed,
        "review_due": due.isoformat(),
        "link": f"/decisions/{missed}",
    }


async def test_a_review_that_brings_the_date_forward_moves_the_events_with_it(
    clean_db: str,
) -> None:
    async with serve(clean_db, **EVENTS) as service:
        today = to_london(utcnow()).date()
        decision = await _decide(service, "REVIEW-SOONER", (today + timedelta(days=60)).isoformat())
        sooner = today + timedelta(days=3)
        reviewed = await service.client.post(
            f"/decisions/{decision}/reviews",
            json={
                "outcome": "continue",
                "reasons": "Look again soon.",
                "next_review_due": sooner.isoformat(),
            },
        )
        assert reviewed.status_code == 201, reviewed.text
        service.clock.fixed = overdue_at(sooner)
        events = await _review_events(service)
        assert events == [(REVIEW_DUE, decision), (REVIEW_OVERDUE, decision)]
        dates = {e["data"]["review_due"] for e in await feed(service) if e["type"] == REVIEW_DUE}
    assert dates == {sooner.isoformat()}
