"""Write paths for markers, customers and contacts: one function per action, each inside
the caller's single transaction, each announcing the change with NOTIFY in that same
transaction so every replica's snapshot follows (see app/snapshot)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.domain.details import keep_retained
from app.domain.events.payloads import preferences_changed
from app.domain.lifecycle.least_restrictive import closed_for_good
from app.domain.markers import Marker
from app.domain.policy.profile import PolicyProfile
from app.domain.policy.terms import check_terms, default_review_date, duplicates, suspension_end
from app.domain.preconditions import IfMatch
from app.domain.time.clock import to_second
from app.domain.vocabulary import MarkerKind, MarkerStatus
from app.persistence.changes import MarkerAction, MarkerChange, record_change
from app.persistence.marker_rows import (
    MARKER_COLUMNS,
    marker_from_row,
    marker_row,
    parse_details,
)
from app.persistence.tables import ContactRow, CustomerRow, MarkerRow, MarkerVersionRow
from app.problems import (
    InvalidParam,
    ProblemError,
    conflict,
    invalid,
    not_found,
    policy_violation,
    precondition_failed,
)
from app.restrictions.schemas import (
    CustomerPreferences,
    ImposeMarker,
    LiftMarker,
    RecordContact,
    VaryMarker,
)


def _rejected(faults: list[tuple[str, str]]) -> ProblemError:
    return policy_violation(
        [InvalidParam(name=f"body.{name}", reason=reason) for name, reason in faults]
    )


async def _ensure_customer(session: AsyncSession, customer_ref: str) -> None:
    await session.execute(
        insert(CustomerRow).values(customer_ref=customer_ref).on_conflict_do_nothing()
    )


async def _lock_customer(session: AsyncSession, customer_ref: str) -> None:
    """Imposing decides from the customer's other markers, so two impositions for one
    customer take turns: the second waits here and then sees what the first recorded."""
    await _ensure_customer(session, customer_ref)
    await session.execute(
        select(CustomerRow.customer_ref)
        .where(CustomerRow.customer_ref == customer_ref)
        .with_for_update()
    )


async def _refuse_duplicates(session: AsyncSession, proposed: Marker, now: datetime) -> None:
    rows = await session.scalars(
        select(MarkerRow).where(
            MarkerRow.customer_ref == proposed.customer_ref,
            MarkerRow.kind == proposed.kind.value,
            MarkerRow.lifted_at.is_(None),
            or_(MarkerRow.ends_at.is_(None), MarkerRow.ends_at > now),
        )
    )
    found = duplicates((marker_from_row(_row_dict(r)) for r in rows), proposed, now)
    if not found:
        return
    # The one in force now is the one the caller most likely means to vary.
    first = min(found, key=lambda m: (not m.in_force(now), m.starts_at, m.created_at))
    others = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    raise conflict(
        f"A {first.kind.value} marker is already {first.status(now).value} for this customer "
        f"over some of the same services and time: marker {first.id}{others}. A second one "
        "would add to it, not replace it. Vary that marker instead "
        f'(POST /markers/{first.id}/variations), or send "additional": true to impose a '
        "second one on purpose."
    )


def _row_dict(row: MarkerRow) -> dict[str, Any]:
    return {column: getattr(row, column) for column in MARKER_COLUMNS}


async def impose_marker(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    customer_ref: str,
    command: ImposeMarker,
    now: datetime,
    decision_id: uuid.UUID | None = None,
) -> Marker:
    """Impose a restriction (docs/domain.md: kinds, formal and suspension-length; and the
    short telephone restriction). Flintshire's suspension lasts 24 hours unless another
    end is given; Wrexham's must say when it ends. `decision_id` names the decision record
    behind it (app/decisions), kept on the row only: the reads do not need it."""
    now = to_second(now)
    kind = MarkerKind(command.kind)
    context.require(kind)
    starts_at = to_second(command.starts_at) if command.starts_at else now
    ends_at = to_second(command.ends_at) if command.ends_at else None
    end_defaulted = kind is MarkerKind.TELEPHONE_SUSPENSION and ends_at is None
    if end_defaulted:
        ends_at = suspension_end(profile, starts_at)
    review_due = default_review_date(profile, kind, now, command.review_due)
    faults = check_terms(
        profile,
        kind,
        now,
        starts_at,
        ends_at,
        review_due,
        end_defaulted=end_defaulted and ends_at is not None,
    )
    if faults:
        raise _rejected(faults)
    await _lock_customer(session, customer_ref)
    marker = Marker(
        id=str(uuid.uuid4()),
        customer_ref=customer_ref,
        kind=kind,
        details=command.details,
        starts_at=starts_at,
        ends_at=ends_at,
        review_due=review_due,
        services=tuple(command.services) if command.services is not None else None,
        reason=command.reason,
        created_by=context.actor,
        created_at=now,
        version=1,
    )
    if not command.additional:
        await _refuse_duplicates(session, marker, now)
    session.add(MarkerRow(**marker_row(marker), updated_at=now, decision_id=decision_id))
    await record_change(
        session,
        context,
        customer_ref,
        now,
        MarkerChange(marker, MarkerAction.IMPOSED, command.reason),
    )
    return marker


async def _save(
    session: AsyncSession,
    context: ActionContext,
    row: MarkerRow,
    change: MarkerChange,
    now: datetime,
) -> None:
    """Write a marker's new version onto its row and record the change; the previous
    version stays in its history."""
    for column, value in marker_row(change.marker).items():
        setattr(row, column, value)
    row.updated_at = now
    await record_change(session, context, change.marker.customer_ref, now, change)


async def _locked_marker(session: AsyncSession, marker_id: uuid.UUID) -> MarkerRow:
    """The marker, locked after its customer: every write takes the customer's lock first
    (the outbox numbers a customer's events under it), so the two are always taken in the
    same order and two writes cannot wait on each other."""
    found = await session.get(MarkerRow, marker_id)
    if found is None:
        raise not_found(f"marker {marker_id}")
    await _lock_customer(session, found.customer_ref)
    row = await session.get(MarkerRow, marker_id, with_for_update=True, populate_existing=True)
    assert row is not None  # markers are never deleted
    return row


async def vary_marker(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    marker_id: uuid.UUID,
    command: VaryMarker,
    now: datetime,
    if_match: IfMatch | None = None,
) -> Marker:
    """Vary a marker's terms. The previous version stays in its history; a lifted or
    expired marker cannot be varied (impose a new one)."""
    now = to_second(now)
    row = await _locked_marker(session, marker_id)
    current = marker_from_row(_row_dict(row))
    # Varying needs the role that may impose a marker of its kind.
    context.require(current.kind)
    if if_match is not None and not if_match.matches(current.version):
        raise precondition_failed(current.version)
    if command.expected_version is not None and command.expected_version != current.version:
        raise conflict(
            f"The marker is at version {current.version}, not {command.expected_version}: "
            "read it again and vary the current version."
        )
    if current.status(now) in (MarkerStatus.LIFTED, MarkerStatus.EXPIRED):
        raise conflict(f"The marker is {current.status(now).value}; impose a new one instead.")
    details = current.details
    if command.details is not None:
        try:
            details = keep_retained(current.details, parse_details(current.kind, command.details))
        except ValidationError as error:
            params = [
                InvalidParam(
                    name="body.details." + ".".join(str(p) for p in e["loc"]), reason=e["msg"]
                )
                for e in error.errors()
            ]
            raise ProblemError(
                422,
                "validation-error",
                "Your request is not valid.",
                "; ".join(f"{p.name}: {p.reason}" for p in params),
                invalid_params=params,
            ) from None
    services = current.services
    if command.whole_council:
        services = None
    elif command.services is not None:
        services = tuple(command.services)
    ends_at = current.ends_at
    if command.clear_end:
        ends_at = None
    elif command.ends_at is not None:
        ends_at = to_second(command.ends_at)
    varied = replace(
        current,
        details=details,
        services=services,
        service_keys=None,
        starts_at=to_second(command.starts_at) if command.starts_at else current.starts_at,
        ends_at=ends_at,
        review_due=command.review_due if command.review_due is not None else current.review_due,
        version=current.version + 1,
    )
    faults = check_terms(
        profile, varied.kind, now, varied.starts_at, varied.ends_at, varied.review_due
    )
    # A variation decides afresh only what it changes: an unchanged kind is not re-judged.
    faults = [f for f in faults if f[0] != "kind"]
    if faults:
        raise _rejected(faults)
    await _keep_a_line_open(session, current, varied, now)
    await _save(
        session, context, row, MarkerChange(varied, MarkerAction.VARIED, command.reason), now
    )
    return varied


async def in_force(session: AsyncSession, customer_ref: str, now: datetime) -> list[Marker]:
    """The customer's markers in force now or still to come."""
    rows = await session.execute(
        select(*(getattr(MarkerRow, c) for c in MARKER_COLUMNS)).where(
            MarkerRow.customer_ref == customer_ref,
            MarkerRow.lifted_at.is_(None),
            or_(MarkerRow.ends_at.is_(None), MarkerRow.ends_at > now),
        )
    )
    return [marker_from_row(dict(r._mapping)) for r in rows]


async def _keep_a_line_open(
    session: AsyncSession, current: Marker, varied: Marker, now: datetime
) -> None:
    """Least restrictive: a variation may not be what closes the customer's last inbound
    line for good. Closing every line is a formal decision's to make, with an override
    (app/decisions); a variation of restrictions already closed that way by one is judged
    by that decision, not refused here."""
    others = [m for m in await in_force(session, current.customer_ref, now) if m.id != current.id]
    if closed_for_good([*others, current], now):
        return
    closed = closed_for_good([*others, varied], now)
    if closed:
        raise policy_violation(
            [
                InvalidParam(
                    name=f"channels.{c.channel.value}",
                    reason=(
                        f"closed for good{' for ' + c.service if c.service else ''} by "
                        f"markers {', '.join(c.marker_ids)}: least restrictive, at least one "
                        "line of contact stays open (closing every line is a formal decision "
                        "with an override)"
                    ),
                )
                for c in closed
            ],
            "That variation would leave the customer no way to reach us.",
        )


async def lift_marker(
    session: AsyncSession,
    context: ActionContext,
    marker_id: uuid.UUID,
    command: LiftMarker,
    now: datetime,
    if_match: IfMatch | None = None,
) -> Marker:
    """Lift a marker: it stops at once and the record keeps who lifted it and why."""
    now = to_second(now)
    row = await _locked_marker(session, marker_id)
    current = marker_from_row(_row_dict(row))
    context.require(current.kind)
    if if_match is not None and not if_match.matches(current.version):
        raise precondition_failed(current.version)
    if current.lifted_at is not None:
        raise conflict("The marker has already been lifted.")
    lifted = replace(
        current,
        lifted_at=now,
        lifted_by=context.actor,
        lift_reason=command.reason,
        version=current.version + 1,
    )
    await _save(
        session, context, row, MarkerChange(lifted, MarkerAction.LIFTED, command.reason), now
    )
    return lifted


async def get_marker(
    session: AsyncSession, marker_id: uuid.UUID
) -> tuple[Marker, list[MarkerVersionRow]]:
    row = await session.get(MarkerRow, marker_id)
    if row is None:
        raise not_found(f"marker {marker_id}")
    versions = (
        await session.scalars(
            select(MarkerVersionRow)
            .where(MarkerVersionRow.marker_id == marker_id)
            .order_by(MarkerVersionRow.version)
        )
    ).all()
    return marker_from_row(_row_dict(row)), list(versions)


async def set_preferences(
    session: AsyncSession,
    context: ActionContext,
    customer_ref: str,
    command: CustomerPreferences,
    now: datetime,
) -> None:
    language = command.preferred_language.value if command.preferred_language else None
    await session.execute(
        insert(CustomerRow)
        .values(customer_ref=customer_ref, preferred_language=language)
        .on_conflict_do_update(
            index_elements=[CustomerRow.customer_ref],
            set_={"preferred_language": language, "updated_at": func.now()},
        )
    )
    await record_change(
        session, context, customer_ref, now, event=preferences_changed(customer_ref, language, now)
    )


async def record_contact(
    session: AsyncSession,
    context: ActionContext,
    customer_ref: str,
    command: RecordContact,
    now: datetime,
) -> ContactRow:
    """Record a contact the customer made, so that contact quotas can be counted."""
    now = to_second(now)
    occurred_at = to_second(command.occurred_at) if command.occurred_at else now
    if occurred_at > now:
        # A fault in the request, not a term the policy refuses.
        raise invalid("body.occurred_at", "is in the future: a contact is recorded once it happens")
    await _ensure_customer(session, customer_ref)
    row = ContactRow(
        customer_ref=customer_ref,
        channel=command.channel.value,
        occurred_at=occurred_at,
        recorded_by=context.actor,
        recorded_by_name=context.actor_name,
        on_behalf_of=context.on_behalf_of,
        recorded_at=now,
    )
    session.add(row)
    await session.flush()
    await record_change(session, context, customer_ref, now)
    return row
