"""Reading the case file: a customer's decision records as they stand, one record with its
incidents and markers, and a record's JSON (docs/domain.md: the case file).

A record's latest version is what it says now; the versions before it stay, and the reads
here never show them as current."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.markers import Marker
from app.persistence.marker_rows import MARKER_COLUMNS, marker_from_row
from app.persistence.tables import DecisionRow, IncidentRow, MarkerRow
from app.persistence.versions import latest_versions
from app.problems import not_found


async def latest(session: AsyncSession, record_id: uuid.UUID) -> DecisionRow:
    """A record's latest version, of any step (a review or an appeal is a record too)."""
    row = await session.scalar(latest_versions(DecisionRow).where(DecisionRow.id == record_id))
    if row is None:
        raise not_found(f"decision {record_id}")
    return row


async def markers_of(session: AsyncSession, decision_id: uuid.UUID) -> list[Marker]:
    """The markers that name the decision, as they are now, oldest first: the link from a
    record to its markers both ways."""
    rows = await session.execute(
        select(*(getattr(MarkerRow, c) for c in MARKER_COLUMNS))
        .where(MarkerRow.decision_id == decision_id)
        .order_by(MarkerRow.created_at, MarkerRow.id)
    )
    return [marker_from_row(dict(r._mapping)) for r in rows]


async def list_decisions(session: AsyncSession, customer_ref: str) -> Sequence[DecisionRow]:
    latest_ids = (
        latest_versions(DecisionRow).where(DecisionRow.customer_ref == customer_ref).subquery()
    )
    rows = await session.scalars(
        select(DecisionRow)
        .join(
            latest_ids,
            (DecisionRow.id == latest_ids.c.id) & (DecisionRow.version == latest_ids.c.version),
        )
        .order_by(DecisionRow.recorded_at.desc(), DecisionRow.seq.desc())
    )
    return rows.all()


async def get_decision(
    session: AsyncSession, decision_id: uuid.UUID
) -> tuple[DecisionRow, list[IncidentRow], list[Marker]]:
    row = await latest(session, decision_id)
    incidents = await session.scalars(
        latest_versions(IncidentRow).where(IncidentRow.id.in_(row.incident_ids))
    )
    ordered = {i: n for n, i in enumerate(row.incident_ids)}
    return (
        row,
        sorted(incidents.all(), key=lambda i: ordered[i.id]),
        await markers_of(session, decision_id),
    )


def decision_json(row: DecisionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "customer_ref": row.customer_ref,
        "step": row.step,
        "incident_ids": list(row.incident_ids),
        "marker_ids": list(row.marker_ids),
        "details": _plain(row.details),
        "review_due": row.review_due,
        "least_restrictive_overridden": row.override_reason is not None,
        "override_reason": row.override_reason,
        "profile": row.profile,
        "profile_version": row.profile_version,
        "about_id": row.about_id,
        "recorded_at": row.recorded_at,
        "recorded_by": row.recorded_by,
        "recorded_by_name": row.recorded_by_name,
        "recorded_by_roles": row.recorded_by_roles,
        "on_behalf_of": row.on_behalf_of,
        "change_reason": row.change_reason,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date | uuid.UUID):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value
