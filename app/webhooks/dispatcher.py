"""The dispatcher: one per replica, and one at a time across replicas does the work that
must happen once (a transaction-scoped advisory lock): record the expiries that are due,
publish committed events in commit order, and claim the next delivery of each (endpoint,
customer) line with a lease. The HTTP attempts run outside that transaction, so a slow
receiver holds only its own line. LISTEN/NOTIFY only wakes it; it polls whatever it hears,
so a lost notification delays an event by one poll at most."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import asyncpg
import httpx
import orjson

from app.domain.events.cloudevent import envelope
from app.domain.events.retry import next_delay
from app.domain.time.clock import utcnow
from app.observability.metrics import Metrics
from app.persistence.changes import CHANGES_CHANNEL
from app.persistence.db import DATABASE_ERRORS, Database
from app.settings import Settings
from app.webhooks import instants, store
from app.webhooks.secret_box import SecretBox
from app.webhooks.sender import Outcome, Result, send

log = logging.getLogger(__name__)

_CONNECTIONS_PER_POOL = 8


class Dispatcher:
    def __init__(
        self,
        database: Database,
        dsn: str,
        settings: Settings,
        source: str,
        metrics: Metrics,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.metrics = metrics
        self.dsn = dsn
        self.settings = settings
        self.box = SecretBox(settings.sealing_keys())
        self.source = source
        # The service's clock: expiries and retries are due by it, so a test can move time.
        self.clock = clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._next_scan = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._clients: list[httpx.AsyncClient] = []
        self._turn = 0
        self._random = random.Random()
        # Successful attempts waiting to be recorded, each with what its task awaits.
        self._delivered: list[tuple[store.Claim, Result, datetime, asyncio.Future[None]]] = []
        self._delivered_ready = asyncio.Event()

    def start(self) -> None:
        verify: ssl.SSLContext | bool = True
        if self.settings.webhook_ca_file is not None:
            verify = ssl.create_default_context()
            verify.load_verify_locations(cafile=self.settings.webhook_ca_file)
        # Several small connection pools, not one large one: httpcore looks over every
        # connection of its pool for each request (a third of the dispatcher's CPU with 64
        # in flight), and keeps only `max_keepalive_connections` of them open between
        # requests (fewer, and each delivery beyond them would open a new connection).
        concurrency = self.settings.dispatcher_concurrency
        shards = max(1, -(-concurrency // _CONNECTIONS_PER_POOL))
        self._clients = [
            httpx.AsyncClient(
                verify=verify,
                follow_redirects=False,
                timeout=self.settings.webhook_timeout_seconds,
                limits=httpx.Limits(
                    max_connections=_CONNECTIONS_PER_POOL * 2,
                    max_keepalive_connections=_CONNECTIONS_PER_POOL * 2,
                ),
                # The receiver sees this service, not a browser; no cookies kept.
                headers={"user-agent": "contact-restrictions-webhooks/1"},
                cookies=None,
            )
            for _ in range(shards)
        ]
        self._tasks = [
            asyncio.create_task(self._run(), name="dispatcher"),
            asyncio.create_task(self._listen(), name="dispatcher-wake"),
            asyncio.create_task(self._record_delivered(), name="dispatcher-recorder"),
        ]

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        for task in [*self._tasks, *self._in_flight]:
            task.cancel()
        for task in [*self._tasks, *self._in_flight]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for client in self._clients:
            await client.aclose()

    async def _listen(self) -> None:
        """Wake on every change announced; reconnect when the connection is lost."""
        while not self._stopping:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(
                    self.dsn, timeout=self.settings.db_connect_timeout_seconds
                )
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _, lost=lost: lost.set())
                await connection.add_listener(CHANGES_CHANNEL, lambda *_: self._wake.set())
                self._wake.set()
                while not self._stopping and not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=5)
            except (*DATABASE_ERRORS, OSError, TimeoutError):
                pass
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=1)
            if not self._stopping:
                await asyncio.sleep(self.settings.dispatcher_poll_seconds)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                busy = await self.cycle()
            except DATABASE_ERRORS as error:
                log.warning("dispatcher cycle failed: %s", type(error).__name__)
                busy = False
            except Exception:
                log.exception("dispatcher cycle failed")
                busy = False
            if busy:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=self.settings.dispatcher_poll_seconds
                )

    async def cycle(self) -> bool:
        """One turn: True if it published or claimed anything (so look again at once)."""
        now = self.clock()
        room = self.settings.dispatcher_concurrency - len(self._in_flight)
        lease = self.settings.webhook_timeout_seconds * 2 + 5
        # The instants (expiries, review dates) are looked for once a poll interval, not on
        # every turn: a turn runs as each delivery finishes, and the search is the same.
        scan = time.monotonic() >= self._next_scan
        concurrency = self.settings.dispatcher_concurrency
        if not scan and room < max(1, concurrency // 4):
            # Most slots still busy: wait for more to finish, so that one turn (and its
            # search of the queue) claims many deliveries rather than one.
            return False
        expired = reviews = 0
        if scan:
            # In a transaction of its own: announcing an expiry or a review date takes its
            # customer's row lock, and a write for that customer should wait only for
            # this, not for the publishing and claiming that follow.
            async with self.database.sessions() as session, session.begin():
                if not await store.try_lead(session):
                    return False
                lookback = timedelta(seconds=self.settings.event_expiry_lookback_seconds)
                expired = await instants.record_expiries(session, now, lookback)
                reviews = await instants.record_review_dates(session, now, lookback)
        async with self.database.sessions() as session, session.begin():
            if not await store.try_lead(session):
                return bool(expired or reviews)
            published = await store.publish(session, now)
            claims = await store.claim(session, now, room, lease, utcnow(), self.box)
        if scan:
            self._next_scan = time.monotonic() + self.settings.dispatcher_poll_seconds
        self.metrics.events_published.inc(published)
        for claim in claims:
            task = asyncio.create_task(self._deliver(claim))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        return bool(expired or reviews or published)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        # The next event in its line may now go.
        self._wake.set()

    async def _deliver(self, claim: store.Claim) -> None:
        assert self._clients
        self._turn = (self._turn + 1) % len(self._clients)
        body = orjson.dumps(envelope(claim.event, self.source))
        result = await send(
            self._clients[self._turn],
            claim.url,
            claim.secrets,
            claim.event.id,
            body,
            timeout=self.settings.webhook_timeout_seconds,
            allow_private=self.settings.webhook_allow_private_addresses,
            require_https=self.settings.webhook_require_https,
        )
        self.metrics.webhook_attempts.labels(result.outcome).inc()
        self.metrics.webhook_latency.observe(result.latency_ms / 1000)
        if result.success:
            # Recorded with the others that succeeded meanwhile: one transaction for many.
            # The task (and so its line) ends once it is recorded.
            recorded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._delivered.append((claim, result, utcnow(), recorded))
            self._delivered_ready.set()
            await recorded
            return
        try:
            await self._record(claim, result)
        except DATABASE_ERRORS as error:
            # The lease runs out and the event is tried again: delivered at least once.
            log.warning("could not record a delivery attempt: %s", type(error).__name__)

    async def _record_delivered(self) -> None:
        while not self._stopping:
            await self._delivered_ready.wait()
            self._delivered_ready.clear()
            batch, self._delivered = self._delivered, []
            try:
                async with self.database.sessions() as session, session.begin():
                    await store.delivered_many(
                        session, [(claim, at, result) for claim, result, at, _ in batch]
                    )
            except DATABASE_ERRORS as error:
                # Their leases run out and the events are tried again: at least once.
                log.warning("could not record delivery attempts: %s", type(error).__name__)
            except Exception:
                # Logged, not raised: this loop ending would leave every delivery task
                # waiting on `recorded` for ever; the leases run out and they are retried.
                log.exception("could not record delivery attempts")
            finally:
                for *_, recorded in batch:
                    if not recorded.done():
                        recorded.set_result(None)

    async def _record(self, claim: store.Claim, result: Result) -> None:
        now = self.clock()
        async with self.database.sessions() as session, session.begin():
            await store.log_attempt(
                session,
                claim,
                utcnow(),
                status=result.status_code,
                latency=result.latency_ms,
                outcome=result.outcome,
            )
            if result.success:
                await store.delivered(session, claim)
                return
            if result.outcome == Outcome.GONE:
                log.warning("webhook endpoint %s answered 410: disabled", claim.endpoint_id)
                await store.gone(session, claim, now)
                return
            delay = next_delay(
                claim.attempts + 1,
                self._random.uniform(-1.0, 1.0),
                self.settings.webhook_retry_scale,
                result.retry_after,
            )
            if delay is None:
                log.warning(
                    "event %s failed for good for webhook endpoint %s",
                    claim.event.id,
                    claim.endpoint_id,
                )
                await store.failed(
                    session, claim, now, self.settings.webhook_disable_after_failed_events
                )
            else:
                await store.retry_at(session, claim, now + delay)
