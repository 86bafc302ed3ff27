"""Keeps the snapshot exactly right across replicas.

Every write sends NOTIFY in its own transaction (app/restrictions/service.py). This task
holds one connection that LISTENs, reloads everything whenever that connection is
(re)established, reloads one customer per notification, in order, and confirms the
state current with a heartbeat. While the connection is down the snapshot is not fresh,
so reads go to the database; if the database cannot be reached either, they answer from
the snapshot marked stale (app/snapshot/read_model.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg

from app.domain.time.clock import utcnow
from app.persistence.changes import CHANGES_CHANNEL
from app.persistence.db import DATABASE_ERRORS
from app.snapshot import store
from app.snapshot.state import CustomerView, Snapshot

log = logging.getLogger(__name__)


class ChangeFeed:
    def __init__(
        self,
        snapshot: Snapshot,
        dsn: str,
        connect_timeout: float,
        heartbeat_interval: float,
        on_reload: Callable[[float], None] | None = None,
        prepare: Callable[[CustomerView, datetime], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.snapshot = snapshot
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        self.heartbeat_interval = heartbeat_interval
        self.on_reload = on_reload
        # The service's clock, as the reads and writes use it: what is "in force" when the
        # feed loads a customer must be judged at the same now as a refresh after a write.
        self.clock = clock
        # Prepares a customer's answers after a load (the read layer's cache), handed in
        # so that the snapshot does not depend on the layer above it.
        self.prepare = prepare or (lambda view, now: None)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._connection: asyncpg.Connection | None = None
        # Set once the first attempt has loaded the snapshot or found the database away.
        self.first_attempt = asyncio.Event()
        self._warming: asyncio.Task[None] | None = None
        self._loaded = False
        self._frozen = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="change-feed")

    async def stop(self) -> None:
        # Checked by the loops too: a cancellation lost inside a library call must not
        # leave the feed running after stop().
        self._stopping = True
        if self._warming is not None:
            self._warming.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.snapshot.listening = False

    @property
    def backend_pid(self) -> int | None:
        conn = self._connection
        return None if conn is None or conn.is_closed() else conn.get_server_pid()

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except DATABASE_ERRORS as error:
                self.snapshot.listening = False
                if isinstance(error, TimeoutError):
                    # The server stopped answering (frozen or overloaded): reads stop
                    # waiting on it at once instead of each finding out within its budget.
                    self.snapshot.db_reachable = False
                    self.snapshot.reads_tripped = True
                self.first_attempt.set()
                log.warning("change feed lost: %s", type(error).__name__)
            except Exception:
                self.first_attempt.set()
                # A supervisor loop: a bug while loading must not stop the feed for good.
                # Reads go to the database meanwhile; the error is logged for a fix.
                self.snapshot.listening = False
                log.exception("change feed failed; retrying")
            if self._loaded:
                # The connection had been up: reconnect at once, then back off again.
                self._loaded, backoff = False, 0.2
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    async def _session(self) -> None:
        try:
            conn = await asyncpg.connect(self.dsn, timeout=self.connect_timeout)
        except DATABASE_ERRORS:
            self.snapshot.db_reachable = False
            self.snapshot.reads_tripped = True
            self.first_attempt.set()
            raise
        self._connection = conn
        self.snapshot.db_reachable = True
        queue: asyncio.Queue[str] = asyncio.Queue()
        try:
            await store.init_connection(conn)
            conn.add_termination_listener(self._lost)
            await conn.add_listener(CHANGES_CHANNEL, lambda *args: queue.put_nowait(args[3]))
            started = self.clock()
            loop = asyncio.get_running_loop()
            began = loop.time()
            customers = await store.load_all(conn, started)
            self.snapshot.replace_all(customers, started)
            # Changes announced while loading are applied before the state counts as current.
            await self._apply_pending(conn, queue)
            self.snapshot.listening = True
            # Current again: reads need the database no more, and may ask it next time the
            # snapshot is not current (only a load that finished proves queries answer).
            self.snapshot.reads_tripped = False
            self._loaded = True
            self.first_attempt.set()
            self._start_warming()
            if self.on_reload is not None:
                self.on_reload(loop.time() - began)
            log.info("snapshot loaded: %d customers", len(customers))
            await self._follow(conn, queue)
        finally:
            self.snapshot.listening = False
            self._connection = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=1.0)

    def _start_warming(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
        self._warming = asyncio.create_task(self._warm(), name="warm-answers")

    async def _warm(self) -> None:
        """In the background, after a load: readiness does not wait for it."""
        self.snapshot.answers_prepared = False
        now = self.clock()
        for count, ref in enumerate(list(self.snapshot.customers)):
            self.prepare(self.snapshot.view(ref), now)
            if count % 20 == 0:
                # A few milliseconds at a time, so requests are not kept waiting.
                await asyncio.sleep(0)
        self.snapshot.answers_prepared = True
        # The snapshot is millions of long-lived objects: left to the cyclic garbage
        # collector, every full collection would walk them all, stalling reads for tens of
        # milliseconds. Frozen, they are never scanned (they are freed normally when a
        # reload replaces them, by reference counting: they hold no cycles).
        # Once: later reloads replace it gradually and are left to the collector.
        if not self._frozen:
            self._frozen = True
            gc.collect()
            gc.freeze()

    def _lost(self, _conn: object) -> None:
        # The socket closed: stop answering from memory at once, before any heartbeat.
        self.snapshot.listening = False

    async def _apply_pending(self, conn: asyncpg.Connection, queue: asyncio.Queue[str]) -> None:
        refs: dict[str, None] = {}
        while not queue.empty():
            refs[queue.get_nowait()] = None
        for ref in refs:
            now = self.clock()
            state = await store.load_one(conn, ref, now)
            self.snapshot.put(ref, state)
            if state is not None:
                self.prepare(self.snapshot.view(ref), now)

    async def _follow(self, conn: asyncpg.Connection, queue: asyncio.Queue[str]) -> None:
        while not self._stopping:
            first: str | None = None
            # asyncio.timeout, not wait_for, which on Python 3.11 can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.heartbeat_interval):
                    first = await queue.get()
            if first is not None:
                queue.put_nowait(first)
                await self._apply_pending(conn, queue)
            if conn.is_closed():
                raise ConnectionError("listening connection closed")
            checked = self.clock()
            try:
                await conn.fetchval("SELECT 1", timeout=self.heartbeat_interval * 2)
            except TimeoutError:
                # Trip before this connection is closed (which can itself wait on a
                # frozen server): from now on reads answer at once, stale, not from it.
                self.snapshot.listening = False
                self.snapshot.reads_tripped = True
                self.snapshot.db_reachable = False
                raise
            # Every notification committed before `checked` has now been received.
            await self._apply_pending(conn, queue)
            self.snapshot.confirmed_at = checked
            self.snapshot.db_reachable = True
