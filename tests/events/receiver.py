"""A real webhook receiver on loopback for the tests: it verifies every delivery with the
standardwebhooks library, dedupes on webhook-id, and can be told to fail at random, to be
slow, or to answer a fixed status."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.servers import running

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    path: str = "/"
    at: float = 0.0
    # The sender's (host, port): one connection per port.
    client: tuple[str, int] | None = None

    @property
    def event(self) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.body)
        return value


@dataclass
class Receiver:
    secret: str | None = None
    # Answers to give: a function of the event, returning a status (and Retry-After);
    # None: 204.
    answer: Callable[[dict[str, Any]], tuple[int, str | None] | None] = lambda _e: None
    slow: Callable[[dict[str, Any]], float] = lambda _e: 0.0
    url: str = ""
    # Every request, and the events accepted (2xx), first receipt only, in order.
    requests: list[Delivery] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    unverified: int = 0
    in_flight: dict[str, int] = field(default_factory=dict)
    most_at_once: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        client = scope.get("client")
        delivery = Delivery(
            headers, body, scope["path"], time.monotonic(), tuple(client) if client else None
        )
        self.requests.append(delivery)
        message_id = headers.get("webhook-id", "")
        self.in_flight[message_id] = self.in_flight.get(message_id, 0) + 1
        self.most_at_once = max(self.most_at_once, self.in_flight[message_id])
        try:
            status, retry_after = await self._handle(delivery, message_id)
        finally:
            self.in_flight[message_id] -= 1
        extra = [(b"retry-after", retry_after.encode())] if retry_after else []
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": b""})

    async def _handle(self, delivery: Delivery, message_id: str) -> tuple[int, str | None]:
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(delivery.body, delivery.headers)
            except WebhookVerificationError:
                self.unverified += 1
                return 400, None
        event = delivery.event
        delay = self.slow(event)
        if delay:
            await asyncio.sleep(delay)
        answered = self.answer(event)
        if answered is not None:
            return answered
        # Deduped on webhook-id, as examples/webhook_receiver.py does.
        if message_id not in self.seen:
            self.seen.add(message_id)
            self.accepted.append(event)
        return 204, None


def flaky(rng: random.Random, rate: float = 0.5) -> Callable[[dict[str, Any]], Any]:
    """Fails about `rate` of all deliveries, in the ways receivers fail."""

    def answer(_event: dict[str, Any]) -> tuple[int, str | None] | None:
        if rng.random() >= rate:
            return None
        return rng.choice([(500, None), (502, None), (503, "0"), (429, "0"), (404, None)])

    return answer


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    config = uvicorn.Config(
        receiver, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on"
    )
    async with running(config) as port:
        receiver.url = f"http://127.0.0.1:{port}/hooks"
        yield receiver


async def until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    """Wait for `check` to hold; fail the test if it does not within `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)
