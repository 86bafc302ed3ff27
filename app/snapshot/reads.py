"""Where a read's data comes from (issue: staying useful when the database is not):

1. the snapshot, while it is current (loaded, change feed connected, recently confirmed);
2. otherwise the database, directly: never a stale answer while the database answers;
3. if the database cannot be reached, the last state confirmed current, marked stale;
4. with no such state (started while the database was down): 503."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import asyncpg

from app.contact_check.answers import Freshness
from app.problems import ProblemError
from app.restrictions.domain import Marker
from app.snapshot import store
from app.snapshot.state import NO_MARKERS, CustomerState, CustomerView, Snapshot

log = logging.getLogger(__name__)

_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


def no_state_yet() -> ProblemError:
    return ProblemError(
        503,
        "no-current-state",
        "Restrictions cannot be read yet.",
        "The database cannot be reached and this instance has no earlier state to answer "
        "from. Try again shortly.",
        headers={"Retry-After": "5"},
    )


class ReadModel:
    def __init__(self, snapshot: Snapshot, dsn: str, timeout: float, pool_size: int) -> None:
        self.snapshot = snapshot
        self.dsn = dsn
        self.timeout = timeout
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

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
        if self._pool is not None:
            await self._pool.close()

    async def view(self, customer_ref: str, now: datetime) -> tuple[CustomerView, Freshness]:
        snapshot = self.snapshot
        if snapshot.is_fresh(now):
            assert snapshot.confirmed_at is not None
            return snapshot.view(customer_ref), Freshness(snapshot.confirmed_at, False)
        if snapshot.db_reachable is not False:
            try:
                state = await asyncio.wait_for(self._load(customer_ref, now), self.timeout * 2)
            except _DB_ERRORS as error:
                log.warning("read fell back to the snapshot: %s", type(error).__name__)
                snapshot.db_reachable = False
            else:
                if state is None:
                    return CustomerView(customer_ref, None, NO_MARKERS), Freshness(now, False)
                view = CustomerView(
                    customer_ref, state.preferred_language, state.markers, state.contacts
                )
                return view, Freshness(now, False)
        if snapshot.loaded and snapshot.confirmed_at is not None:
            return snapshot.view(customer_ref), Freshness(snapshot.confirmed_at, True)
        raise no_state_yet()

    async def views(
        self, customer_refs: list[str], now: datetime
    ) -> tuple[list[CustomerView], Freshness]:
        """Many customers at once, by the same rules as `view`."""
        snapshot = self.snapshot
        if not snapshot.is_fresh(now) and snapshot.db_reachable is not False:
            try:
                pool = await self._connection_pool()
                async with pool.acquire() as conn:
                    states = await asyncio.wait_for(
                        store.load_many(conn, customer_refs, now), self.timeout * 5
                    )
            except _DB_ERRORS as error:
                log.warning("batch fell back to the snapshot: %s", type(error).__name__)
                snapshot.db_reachable = False
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
        if snapshot.loaded and snapshot.confirmed_at is not None:
            stale = not snapshot.is_fresh(now)
            return [snapshot.view(ref) for ref in customer_refs], Freshness(
                snapshot.confirmed_at, stale
            )
        raise no_state_yet()

    async def refresh(self, customer_ref: str, now: datetime) -> None:
        """After this instance commits a change, bring its own snapshot up to date before
        answering, so a caller reads its own write at once; other replicas follow by NOTIFY."""
        for _ in range(3):
            generation = self.snapshot.generation(customer_ref)
            try:
                state = await asyncio.wait_for(self._load(customer_ref, now), self.timeout * 2)
            except _DB_ERRORS as error:
                log.warning("refresh after write left to the change feed: %s", type(error).__name__)
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

    async def history(self, customer_ref: str) -> list[Marker]:
        """Every marker ever recorded for the customer: only the database has these."""
        try:
            pool = await self._connection_pool()
            async with pool.acquire() as conn:
                return await asyncio.wait_for(
                    store.load_history(conn, customer_ref), self.timeout * 2
                )
        except _DB_ERRORS as error:
            raise ProblemError(
                503,
                "database-unavailable",
                "The database cannot be reached.",
                "The full history (include=all) is read from the database, which cannot be "
                "reached; without include=all the markers in force are still answered.",
                headers={"Retry-After": "5"},
            ) from error
