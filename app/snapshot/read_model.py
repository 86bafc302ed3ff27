"""Where a read's data comes from (issue 12: an answer in bounded time, whatever the
database does; never the least safe answer):

1. the snapshot, while it is current (loaded, change feed connected, recently confirmed);
2. otherwise the database, directly, within a short budget (READ_DB_BUDGET_SECONDS):
   never a stale answer while the database answers within it;
3. past the budget, or on any database error, the last state confirmed current, marked
   stale with its `as_of`; and from then on at once, without asking the database again
   (the breaker, `Snapshot.reads_tripped`), until the change feed has reloaded the
   snapshot (it is current again) or a background probe finds the database answering
   within the budget. Reads never queue on a database that does not answer, and after a
   freeze they do not pile onto a server still catching up;
4. with no such state (started while the database was down): 503."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from app.domain.markers import Marker
from app.persistence.db import DATABASE_ERRORS, bounded
from app.problems import ProblemError
from app.snapshot import store
from app.snapshot.state import NO_MARKERS, CustomerState, CustomerView, Freshness, Snapshot

log = logging.getLogger(__name__)

# While the breaker is open, how often one background probe asks the database whether it
# answers again. Normally the change feed closes the breaker first, once it has reloaded
# (within a few seconds of the database's return); reads asking a server that has just
# come back, while it is still busy catching up, would only be slow. The probe is for a
# change feed that cannot come back while the database answers.
PROBE_INTERVAL_SECONDS = 5.0


def no_state_yet() -> ProblemError:
    return ProblemError(
        503,
        "no-current-state",
        "Restrictions cannot be read yet.",
        "The database cannot be reached and this instance has no earlier state to answer "
        "from. Try again shortly.",
        headers={"Retry-After": "5"},
    )


def history_unavailable() -> ProblemError:
    return ProblemError(
        503,
        "database-unavailable",
        "The database cannot be reached.",
        "The full history (include=all) is read from the database, which is not answering; "
        "without include=all the markers in force are still answered.",
        headers={"Retry-After": "5"},
    )


class ReadModel:
    def __init__(
        self,
        snapshot: Snapshot,
        dsn: str,
        timeout: float,
        pool_size: int,
        budget: float = 0.3,
    ) -> None:
        self.snapshot = snapshot
        self.dsn = dsn
        self.timeout = timeout
        self.pool_size = pool_size
        self.budget = budget
        self._pool: asyncpg.Pool | None = None
        self._probe: asyncio.Task[None] | None = None
        self._probed_at: float | None = None

    async def _connection_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=0,
                max_size=self.pool_size,
                timeout=self.timeout,
                command_timeout=self.timeout * 5,
                init=store.init_connection,
            )
        return self._pool

    def pool_stats(self) -> tuple[int, int]:
        """(open, idle) connections of the read pool."""
        if self._pool is None:
            return 0, 0
        return self._pool.get_size(), self._pool.get_idle_size()

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), timeout=2.0)
            except TimeoutError:
                # A connection still held by an abandoned read on a server that does not
                # answer: drop them all rather than hold up shutdown.
                self._pool.terminate()

    def _tripped(self, error: BaseException, what: str) -> None:
        log.warning("%s fell back to the snapshot: %s", what, type(error).__name__)
        self.snapshot.reads_tripped = True
        if not isinstance(error, TimeoutError):
            self.snapshot.db_reachable = False

    def _direct(self) -> bool:
        """May this read ask the database? While the breaker is open: no, and now and then
        a probe runs in the background (never on a read's time)."""
        if not self.snapshot.reads_tripped:
            self._probed_at = None
            return True
        now = asyncio.get_running_loop().time()
        if self._probed_at is None:
            self._probed_at = now  # the first probe comes an interval after the trip
        elif self._probe is None and now - self._probed_at >= PROBE_INTERVAL_SECONDS:
            self._probed_at = now
            self._probe = asyncio.create_task(self._probe_once(), name="read-probe")
        return False

    async def _probe_once(self) -> None:
        try:
            await bounded(self._ping(), self.budget)
        except DATABASE_ERRORS as error:
            log.info("database still not answering reads: %s", type(error).__name__)
        else:
            self.snapshot.reads_tripped = False
        finally:
            self._probe = None

    async def _ping(self) -> None:
        pool = await self._connection_pool()
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    def _stale(self, now: datetime) -> Freshness:
        snapshot = self.snapshot
        if snapshot.loaded and snapshot.confirmed_at is not None:
            return Freshness(snapshot.confirmed_at, not snapshot.is_fresh(now))
        raise no_state_yet()

    async def view(self, customer_ref: str, now: datetime) -> tuple[CustomerView, Freshness]:
        snapshot = self.snapshot
        if snapshot.is_fresh(now):
            assert snapshot.confirmed_at is not None
            return snapshot.view(customer_ref), Freshness(snapshot.confirmed_at, False)
        if self._direct():
            try:
                state = await bounded(self._load(customer_ref, now), self.budget)
            except DATABASE_ERRORS as error:
                self._tripped(error, "read")
            else:
                if state is None:
                    return CustomerView(customer_ref, None, NO_MARKERS), Freshness(now, False)
                view = CustomerView(
                    customer_ref, state.preferred_language, state.markers, state.contacts
                )
                return view, Freshness(now, False)
        freshness = self._stale(now)
        return snapshot.view(customer_ref), freshness

    async def views(
        self, customer_refs: list[str], now: datetime
    ) -> tuple[list[CustomerView], Freshness]:
        """Many customers at once, by the same rules as `view`."""
        snapshot = self.snapshot
        if not snapshot.is_fresh(now) and self._direct():
            try:
                states = await bounded(self._load_many(customer_refs, now), self.budget)
            except DATABASE_ERRORS as error:
                self._tripped(error, "batch")
            else:
                views = []
                for ref in customer_refs:
                    state = states.get(ref)
                    views.append(
                        CustomerView(ref, None, NO_MARKERS)
                        if state is None
                        else CustomerView(
                            ref, state.preferred_language, state.markers, state.contacts
                        )
                    )
                return views, Freshness(now, False)
        freshness = self._stale(now)
        return [snapshot.view(ref) for ref in customer_refs], freshness

    async def refresh_after_commit(
        self, customer_ref: str, now: datetime, markers: Sequence[Marker] = ()
    ) -> None:
        """After this instance commits a change, bring its own snapshot up to date before
        answering, so a caller reads its own write at once; other replicas follow by NOTIFY.
        Within the read budget: the write is already committed, so a slow database must
        not turn its answer into an error; the change feed brings the change later. If the
        database cannot be read back, the `markers` just recorded are put in the snapshot
        as they stand, so that a stale answer still shows them."""
        for _ in range(3):
            generation = self.snapshot.generation(customer_ref)
            try:
                state = await bounded(self._load(customer_ref, now), self.budget)
            except DATABASE_ERRORS as error:
                log.warning("refresh after write left to the change feed: %s", type(error).__name__)
                self.snapshot.apply_markers(customer_ref, markers)
                return
            # If the change feed replaced the entry while this load ran, this load may be
            # the older of the two: load again rather than overwrite a newer state.
            if self.snapshot.generation(customer_ref) == generation:
                self.snapshot.put(customer_ref, state)
                return

    async def _load(self, customer_ref: str, now: datetime) -> CustomerState | None:
        pool = await self._connection_pool()
        async with pool.acquire() as conn:
            return await store.load_one(conn, customer_ref, now)

    async def _load_many(self, customer_refs: list[str], now: datetime) -> dict[str, CustomerState]:
        pool = await self._connection_pool()
        async with pool.acquire() as conn:
            return await store.load_many(conn, customer_refs, now)

    async def _load_history(self, customer_ref: str) -> list[Marker]:
        pool = await self._connection_pool()
        async with pool.acquire() as conn:
            return await store.load_history(conn, customer_ref)

    async def history(self, customer_ref: str) -> list[Marker]:
        """Every marker ever recorded for the customer: only the database has these, so
        while it does not answer within the budget (or the breaker is open) this is 503
        at once rather than a list that silently leaves some out."""
        if not self._direct():
            raise history_unavailable()
        try:
            return await bounded(self._load_history(customer_ref), self.budget)
        except DATABASE_ERRORS as error:
            self._tripped(error, "history")
            raise history_unavailable() from error
