"""Loading customer state from PostgreSQL, for the whole snapshot or for one customer.
Raw asyncpg: these are the only queries on the read side and they run at full speed."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from app.domain.contact_rules import PAST_AT_LIMIT
from app.domain.markers import Marker
from app.domain.vocabulary import Channel, MarkerKind
from app.persistence.marker_rows import MARKER_COLUMNS, marker_from_row
from app.snapshot.state import CustomerState

# A quota counts the contacts of the whole period holding `at` (at most a calendar month:
# 31 days, plus an hour when the clocks change), and `at` may be PAST_AT_LIMIT back; older
# contacts are not kept in memory.
CONTACT_WINDOW = PAST_AT_LIMIT + timedelta(days=32)

_MARKER_COLUMNS = ", ".join(MARKER_COLUMNS)

CURRENT_MARKERS = f"""SELECT {_MARKER_COLUMNS} FROM markers
    WHERE lifted_at IS NULL AND (ends_at IS NULL OR ends_at > $1)"""
CURRENT_MARKERS_ONE = CURRENT_MARKERS + " AND customer_ref = $2"
ALL_MARKERS_ONE = (
    f"SELECT {_MARKER_COLUMNS} FROM markers WHERE customer_ref = $1 ORDER BY created_at"
)
LANGUAGES = (
    "SELECT customer_ref, preferred_language FROM customers WHERE preferred_language IS NOT NULL"
)
LANGUAGE_ONE = "SELECT preferred_language FROM customers WHERE customer_ref = $1"
CONTACTS = """SELECT customer_ref, channel, occurred_at FROM contacts
    WHERE customer_ref = ANY($1::text[]) AND occurred_at >= $2 ORDER BY occurred_at"""


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=_dumps, decoder=_loads, schema="pg_catalog")


def _dumps(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


def _loads(value: str) -> Any:
    import orjson

    return orjson.loads(value)


def _contacts(rows: list[asyncpg.Record]) -> dict[str, dict[Channel, list[datetime]]]:
    result: dict[str, dict[Channel, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        result[row["customer_ref"]][Channel(row["channel"])].append(row["occurred_at"])
    return result


def _quota_refs(markers: dict[str, list[Marker]]) -> list[str]:
    return [
        ref for ref, ms in markers.items() if any(m.kind is MarkerKind.CONTACT_QUOTA for m in ms)
    ]


async def load_all(conn: asyncpg.Connection, now: datetime) -> dict[str, CustomerState]:
    """Every customer with a preferred language or a marker not yet lifted or ended."""
    markers: dict[str, list[Marker]] = defaultdict(list)
    for row in await conn.fetch(CURRENT_MARKERS, now):
        markers[row["customer_ref"]].append(marker_from_row(row))
    languages = {r["customer_ref"]: r["preferred_language"] for r in await conn.fetch(LANGUAGES)}
    contacts = _contacts(await conn.fetch(CONTACTS, _quota_refs(markers), now - CONTACT_WINDOW))
    customers: dict[str, CustomerState] = {}
    for ref, language in languages.items():
        customers[ref] = CustomerState(language, (), {})
    for ref, ms in markers.items():
        customers[ref] = CustomerState(languages.get(ref), tuple(ms), dict(contacts.get(ref, {})))
    return customers


async def load_one(
    conn: asyncpg.Connection, customer_ref: str, now: datetime
) -> CustomerState | None:
    """One customer's current state, or None when there is nothing to keep in memory."""
    markers = [marker_from_row(r) for r in await conn.fetch(CURRENT_MARKERS_ONE, now, customer_ref)]
    language = await conn.fetchval(LANGUAGE_ONE, customer_ref)
    if not markers and language is None:
        return None
    contacts: dict[Channel, list[datetime]] = {}
    if any(m.kind is MarkerKind.CONTACT_QUOTA for m in markers):
        contacts = dict(
            _contacts(await conn.fetch(CONTACTS, [customer_ref], now - CONTACT_WINDOW)).get(
                customer_ref, {}
            )
        )
    return CustomerState(language, tuple(markers), contacts)


async def load_history(conn: asyncpg.Connection, customer_ref: str) -> list[Marker]:
    """Every marker the customer has ever had, lifted and ended ones included."""
    return [marker_from_row(r) for r in await conn.fetch(ALL_MARKERS_ONE, customer_ref)]


async def load_many(
    conn: asyncpg.Connection, customer_refs: list[str], now: datetime
) -> dict[str, CustomerState]:
    """Current state of many customers at once (the batch check's database path)."""
    markers: dict[str, list[Marker]] = defaultdict(list)
    rows = await conn.fetch(
        CURRENT_MARKERS + " AND customer_ref = ANY($2::text[])", now, customer_refs
    )
    for row in rows:
        markers[row["customer_ref"]].append(marker_from_row(row))
    languages = {
        r["customer_ref"]: r["preferred_language"]
        for r in await conn.fetch(
            "SELECT customer_ref, preferred_language FROM customers "
            "WHERE customer_ref = ANY($1::text[]) AND preferred_language IS NOT NULL",
            customer_refs,
        )
    }
    contacts = _contacts(await conn.fetch(CONTACTS, _quota_refs(markers), now - CONTACT_WINDOW))
    result: dict[str, CustomerState] = {
        ref: CustomerState(language, (), {}) for ref, language in languages.items()
    }
    for ref, ms in markers.items():
        result[ref] = CustomerState(languages.get(ref), tuple(ms), dict(contacts.get(ref, {})))
    return result
