"""The annual review report's reads: every formal decision made in the financial year, with
the facts the pure aggregation (app/domain/lifecycle/annual_review.py) needs, read from the
case file, the incidents and the markers as first imposed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.lifecycle.annual_review import (
    AnnualReview,
    AppealFacts,
    DecisionFacts,
    annual_review,
    financial_year,
    restriction_days,
    review_chain,
)
from app.domain.lifecycle.appeals import AppealOutcome
from app.domain.lifecycle.ladder import Step
from app.domain.time.london import first_instant_at_or_after, to_london
from app.persistence.tables import DecisionRow, IncidentRow, MarkerRow, MarkerVersionRow
from app.persistence.versions import latest_versions


def _london_midnight(day: date) -> datetime:
    return first_instant_at_or_after(datetime.combine(day, time()))


def _day(instant: datetime) -> date:
    return to_london(instant).date()


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if isinstance(value, str) else None


async def _categories(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.scalars(latest_versions(IncidentRow).where(IncidentRow.id.in_(ids)))
    return {r.id: r.category for r in rows}


async def _as_imposed(
    session: AsyncSession, decision_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Each decision's markers as first imposed (their first version's state)."""
    rows = await session.execute(
        select(MarkerRow.decision_id, MarkerVersionRow.state)
        .join(MarkerVersionRow, MarkerVersionRow.marker_id == MarkerRow.id)
        .where(MarkerRow.decision_id.in_(decision_ids), MarkerVersionRow.version == 1)
        .order_by(MarkerRow.created_at, MarkerRow.id)
    )
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for decision_id, state in rows:
        found.setdefault(decision_id, []).append(state)
    return found


async def _stopped_on(
    session: AsyncSession, decision_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, date | None]:
    """When the last of each decision's markers stopped (lifted or ended), None while one is
    still in force."""
    rows = await session.execute(
        select(MarkerRow.decision_id, MarkerRow.lifted_at, MarkerRow.ends_at).where(
            MarkerRow.decision_id.in_(decision_ids)
        )
    )
    stops: dict[uuid.UUID, list[datetime | None]] = {}
    for decision_id, lifted_at, ends_at in rows:
        if decision_id is None:
            continue
        stop = lifted_at or (ends_at if ends_at is not None and ends_at <= now else None)
        stops.setdefault(decision_id, []).append(stop)
    return {
        d: (None if any(s is None for s in s_list) else _day(max(s for s in s_list if s)))
        for d, s_list in stops.items()
    }


async def _about(
    session: AsyncSession, decision_ids: list[uuid.UUID], step: Step
) -> dict[uuid.UUID, list[DecisionRow]]:
    rows = await session.scalars(
        latest_versions(DecisionRow).where(
            DecisionRow.about_id.in_(decision_ids), DecisionRow.step == step.value
        )
    )
    found: dict[uuid.UUID, list[DecisionRow]] = {}
    for row in rows:
        assert row.about_id is not None
        found.setdefault(row.about_id, []).append(row)
    return found


async def _first_recorded(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    rows = await session.execute(
        select(DecisionRow.id, DecisionRow.recorded_at).where(
            DecisionRow.id.in_(ids), DecisionRow.version == 1
        )
    )
    return {record_id: recorded_at for record_id, recorded_at in rows}


def _outcome(row: DecisionRow) -> str | None:
    outcome = row.details.get("outcome")
    return outcome if isinstance(outcome, str) else None


def _appeal(row: DecisionRow) -> AppealFacts:
    details = row.details
    outcome = details.get("outcome")
    received = _date(details.get("appeal_received_on"))
    due = _date(details.get("decision_due"))
    assert received is not None and due is not None
    return AppealFacts(
        id=str(row.id),
        received_on=received,
        late=bool(details.get("late")),
        decision_due=due,
        outcome=AppealOutcome(outcome) if isinstance(outcome, str) else None,
        decided_on=_date(details.get("decided_on")),
    )


async def report(session: AsyncSession, year: int, now: datetime) -> AnnualReview:
    starts_on, ends_on = financial_year(year)
    decisions = list(
        await session.scalars(
            latest_versions(DecisionRow).where(
                DecisionRow.step == Step.FORMAL_DECISION.value,
                DecisionRow.recorded_at >= _london_midnight(starts_on),
                DecisionRow.recorded_at < _london_midnight(ends_on + timedelta(days=1)),
            )
        )
    )
    ids = [d.id for d in decisions]
    categories = await _categories(session, {i for d in decisions for i in d.incident_ids})
    imposed = await _as_imposed(session, ids)
    stopped = await _stopped_on(session, ids, now)
    reviews = await _about(session, ids, Step.REVIEW)
    # A review's date is when it was first recorded, whatever later versions added.
    reviewed_at = await _first_recorded(session, [r.id for rs in reviews.values() for r in rs])
    appeals = await _about(session, ids, Step.APPEAL)
    facts = []
    for d in decisions:
        decided_on = _day(d.recorded_at)
        markers = imposed.get(d.id, [])
        ends = [_instant(m.get("ends_at")) for m in markers]
        facts.append(
            DecisionFacts(
                id=str(d.id),
                customer_ref=d.customer_ref,
                decided_on=decided_on,
                categories=frozenset(categories[i] for i in d.incident_ids if i in categories),
                marker_kinds=tuple(str(m["kind"]) for m in markers),
                duration=str(d.details.get("duration", "")),
                duration_days=restriction_days(
                    decided_on, [_day(e) if e else None for e in ends], d.review_due
                ),
                review_due=d.review_due,
                ended_on=stopped.get(d.id),
                override_reason=d.override_reason,
                reviews=review_chain(
                    d.review_due,
                    [
                        (
                            str(r.id),
                            _day(reviewed_at.get(r.id, r.recorded_at)),
                            _outcome(r),
                            r.review_due,
                        )
                        for r in reviews.get(d.id, [])
                    ],
                ),
                appeals=tuple(_appeal(a) for a in appeals.get(d.id, [])),
            )
        )
    return annual_review(year, facts, _day(now))
