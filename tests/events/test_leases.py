"""Two rules of the delivery queue (app/webhooks/store.py), on real PostgreSQL, with the
dispatcher off so the test holds the claims itself:

- an outcome counts only under the lease that claimed it: an attempt whose lease ran out
  (and whose event was claimed again) is logged, and changes nothing else;
- one event of a customer's line in flight at a time: a redelivery that puts an earlier
  event back at the head waits while a later one is being sent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text

from app.domain.time.clock import utcnow
from app.webhooks import store
from tests.conftest import Service, serve
from tests.events.receiver import Receiver
from tests.events.test_delivery import EVENTS, customer_story, subscribe

QUIET = {**EVENTS, "dispatcher_enabled": False}


async def _owed(service: Service) -> None:
    """A subscription and one customer's five events, queued for it."""
    receiver = Receiver()
    receiver.url = "http://127.0.0.1:9/hooks"  # never sent to: the dispatcher is off
    await subscribe(service, receiver)
    await customer_story(service, "LEASED")
    async with service.app.state.database.sessions() as session, session.begin():
        assert await store.publish(session, utcnow()) == 5


async def _claim(service: Service, lease: float = 30.0) -> list[store.Claim]:
    async with service.app.state.database.sessions() as session, session.begin():
        return await store.claim(
            session, utcnow(), 10, lease, utcnow(), service.app.state.secret_box
        )


async def _delivery(service: Service, claim: store.Claim) -> tuple[str, int]:
    async with service.app.state.database.sessions() as session:
        row = (
            await session.execute(
                text(
                    "SELECT status, attempts FROM webhook_deliveries "
                    "WHERE endpoint_id = :endpoint AND event_id = CAST(:event AS uuid)"
                ),
                {"endpoint": claim.endpoint_id, "event": claim.event.id},
            )
        ).one()
    return row.status, row.attempts


async def test_a_late_outcome_after_the_lease_ran_out_changes_nothing(clean_db: str) -> None:
    async with serve(clean_db, **QUIET) as service:
        await _owed(service)
        (first,) = await _claim(service, lease=0.2)
        assert first.event.sequence == 1
        await asyncio.sleep(0.3)
        # The lease ran out: the same event is claimed again, by another dispatcher.
        (again,) = await _claim(service)
        assert again.event.id == first.event.id
        assert again.leased_until > first.leased_until
        async with service.app.state.database.sessions() as session, session.begin():
            await store.log_attempt(session, first, utcnow(), status=500, latency=1, outcome="x")
            await store.failed(session, first, utcnow(), disable_after=1)
        # The late failure is in the log, but neither the delivery nor the endpoint moved:
        # the current holder's attempt still decides.
        assert await _delivery(service, first) == ("pending", 0)
        endpoint = (await service.client.get(f"/subscriptions/{first.endpoint_id}")).json()
        assert endpoint["status"] == "active"
        async with service.app.state.database.sessions() as session, session.begin():
            await store.delivered(session, again)
        assert await _delivery(service, again) == ("delivered", 1)
        # And the line moves on to the customer's next event.
        (following,) = await _claim(service)
        assert following.event.sequence == 2


async def test_a_redelivered_event_waits_while_a_later_one_of_its_line_is_in_flight(
    clean_db: str,
) -> None:
    async with serve(clean_db, **QUIET) as service:
        await _owed(service)
        (first,) = await _claim(service)
        async with service.app.state.database.sessions() as session, session.begin():
            await store.delivered(session, first)
        (second,) = await _claim(service)
        assert second.event.sequence == 2
        # While the second is being sent, an admin redelivers the first.
        again = await service.client.post(
            f"/subscriptions/{first.endpoint_id}/redeliveries",
            json={"event_id": first.event.id},
        )
        assert again.status_code == 202, again.text
        assert await _claim(service) == []  # the line is busy: nothing more of it goes
        async with service.app.state.database.sessions() as session, session.begin():
            await store.retry_at(session, second, utcnow() - timedelta(seconds=1))
        # Once the second is back in the queue, the first goes ahead of it, in its place.
        (next_up,) = await _claim(service)
        assert next_up.event.id == first.event.id
