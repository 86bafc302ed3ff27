"""One delivery attempt's HTTP (app/webhooks/sender.py) against a real receiver."""

from __future__ import annotations

import httpx
import orjson

from app.webhooks.sender import Outcome, send
from tests.events.receiver import Receiver, receiving

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def _send_all(receiver: Receiver, count: int) -> list[str]:
    outcomes = []
    async with httpx.AsyncClient() as client:
        for n in range(count):
            body = orjson.dumps({"specversion": "1.0", "id": f"ev-{n}"})
            result = await send(
                client, receiver.url, (SECRET,), f"ev-{n}", body,
                timeout=5.0, allow_private=True, require_https=False,
            )  # fmt: skip
            outcomes.append(result.outcome)
    return outcomes


async def test_events_in_a_row_share_one_connection() -> None:
    receiver = Receiver(secret=SECRET)
    async with receiving(receiver):
        outcomes = await _send_all(receiver, 5)
    assert outcomes == [Outcome.DELIVERED] * 5
    assert len(receiver.accepted) == 5 and receiver.unverified == 0
    # A new connection per event would cost more than the event itself.
    assert len({d.client for d in receiver.requests}) == 1
