"""Appeals against formal decisions, recorded on the case file as decision records.

An appeal is a record of step `appeal` about the decision (`about_id`), written as every
step is (app/decisions/records.py: the customer locked, the author from the token
with the roles they held, the profile stamped). Its outcome is the appeal record's next
version, not a separate record: the case file then shows each appeal once, as it stands,
with the request kept in the version before; an appeal is decided once because its latest
version either has an outcome or has not. A varied or overturned outcome changes the
decision's markers through app/decisions/marker_changes.py (so app/restrictions) in the same
transaction as the outcome: a marker change refused leaves the appeal undecided.

The rules are the lifecycle core's (app/domain/lifecycle/appeals.py): the deadline and
lateness, the route, and the separation of duties."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.appeals.schemas import DecideAppeal, LodgeAppeal
from app.auth import ActionContext
from app.decisions import case_file, marker_changes, records
from app.domain.lifecycle.appeals import (
    AppealOutcome,
    Authored,
    Conflict,
    Part,
    Participation,
    appeal_conflict,
    appeal_decision_due,
    appeal_route,
    appeal_timing,
    holds_route,
    involved_roles,
)
from app.domain.lifecycle.ladder import Step
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.markers import Marker
from app.domain.policy.profile import PolicyProfile
from app.domain.preconditions import IfMatch
from app.domain.time.clock import to_second
from app.domain.time.london import to_london
from app.domain.vocabulary import Action
from app.persistence.tables import DecisionRow
from app.persistence.versions import latest_versions
from app.problems import (
    InvalidParam,
    ProblemError,
    conflict,
    invalid,
    policy_violation,
    precondition_failed,
)
from app.restrictions.schemas import VaryMarker

FUTURE = "is in the future: record an appeal once it has been received"
APPEAL_DECIDED = "the appeal decided"
# Steps whose author advised on the decision that followed them: the referral's author
# asked for it, and a Chief Officer's advice is a later version of their referral.
_ADVISING = (Step.REFERRAL.value, Step.CHIEF_OFFICER_REFERRAL.value)


def _wrong_step(record: DecisionRow, wanted: Step, title: str) -> ProblemError:
    return policy_violation(
        [
            InvalidParam(
                name="path.decision_id" if wanted is Step.FORMAL_DECISION else "path.appeal_id",
                reason=f"is a {record.step} record, not a {wanted.value}",
            )
        ],
        title,
    )


def _not_future(name: str, value: date, today: date) -> None:
    # A date that has not come is bad input, as for every step of the ladder (not a
    # policy refusal).
    if value > today:
        raise invalid(name, FUTURE)


def notice_date(decision: DecisionRow) -> date:
    """The decision notice's date; a formal decision always records one, and the day it was
    recorded stands in should a record lack it."""
    notice = decision.details.get("notice")
    if isinstance(notice, dict) and isinstance(notice.get("notice_date"), str):
        return date.fromisoformat(notice["notice_date"])
    return to_london(decision.recorded_at).date()


async def _involvement(session: AsyncSession, customer_ref: str) -> list[Authored]:
    rows = await session.execute(
        select(DecisionRow.step, DecisionRow.recorded_by_roles).where(
            DecisionRow.customer_ref == customer_ref
        )
    )
    return [Authored(step, frozenset(roles) if roles is not None else None) for step, roles in rows]


async def lodge(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    decision_id: uuid.UUID,
    command: LodgeAppeal,
    now: datetime,
) -> DecisionRow:
    """Record a written appeal against a formal decision: its deadline and lateness (a late
    appeal is recorded and flagged, never refused) and who decides it."""
    now = to_second(now)
    today = to_london(now).date()
    decision = await case_file.latest(session, decision_id)
    if decision.step != Step.FORMAL_DECISION.value:
        raise _wrong_step(decision, Step.FORMAL_DECISION, "Only a formal decision is appealed.")
    _not_future("body.appeal_received_on", command.appeal_received_on, today)
    if command.decision_received_on is not None:
        _not_future("body.decision_received_on", command.decision_received_on, today)
    notified = notice_date(decision)
    received = command.decision_received_on or notified
    faults = []
    if received < notified:
        faults.append(
            InvalidParam(
                name="body.decision_received_on",
                reason=f"is before the notice's date ({notified.isoformat()})",
            )
        )
    elif command.appeal_received_on < received:
        faults.append(
            InvalidParam(
                name="body.appeal_received_on",
                reason=f"is before the decision was received ({received.isoformat()})",
            )
        )
    if faults:
        raise policy_violation(faults, "Those dates do not fit the decision.")
    fields = {"decision_id": decision.id, "appeal_received_on": command.appeal_received_on}
    await records.admit(
        session,
        profile,
        lifecycle,
        decision.customer_ref,
        Step.APPEAL,
        fields,
        decision.incident_ids,
    )
    # The customer is locked now: a second appeal lodged at the same moment finds this one.
    earlier = await session.scalar(
        select(DecisionRow.id).where(
            DecisionRow.about_id == decision.id, DecisionRow.step == Step.APPEAL.value
        )
    )
    if earlier is not None:
        raise conflict(
            f"Appeal {earlier} against this decision is already recorded: a decision is "
            "appealed once, and after its outcome the customer may go to the ombudsman."
        )
    timing = appeal_timing(
        lifecycle, command.appeal_received_on, notified, command.decision_received_on
    )
    involvement = involved_roles(await _involvement(session, decision.customer_ref))
    route = appeal_route(lifecycle, involvement.roles)
    details: dict[str, Any] = {
        "decision_id": str(decision.id),
        "appeal_received_on": command.appeal_received_on.isoformat(),
        "decision_received_on": timing.decision_received_on.isoformat(),
        "deadline": timing.deadline.isoformat(),
        "late": timing.late,
        "working_days_late": timing.working_days_late,
        "grounds": command.grounds,
        "route": {
            "role": route.role,
            "reason": route.reason.value,
            "involved": list(route.involved),
            "records_without_roles": involvement.unshown,
        },
        "decision_due": appeal_decision_due(command.appeal_received_on).isoformat(),
    }
    return await records.write_first(
        session,
        context,
        profile,
        decision.customer_ref,
        Step.APPEAL,
        decision.incident_ids,
        details,
        now,
        about_id=decision.id,
    )


async def participants(session: AsyncSession, decision: DecisionRow) -> list[Participation]:
    """Who took part in the decision, as the case file shows: who recorded it (made), who
    referred it or advised on the referral before it was made (advised), who reviewed it."""
    made = await session.scalars(
        select(DecisionRow.recorded_by).where(DecisionRow.id == decision.id)
    )
    advised = await session.scalars(
        select(DecisionRow.recorded_by).where(
            DecisionRow.customer_ref == decision.customer_ref,
            DecisionRow.step.in_(_ADVISING),
            DecisionRow.recorded_at <= decision.recorded_at,
        )
    )
    reviewed = await session.scalars(
        select(DecisionRow.recorded_by).where(
            DecisionRow.about_id == decision.id, DecisionRow.step == Step.REVIEW.value
        )
    )
    return [
        *(Participation(s, Part.MADE) for s in made),
        *(Participation(s, Part.ADVISED) for s in advised),
        *(Participation(s, Part.REVIEWED) for s in reviewed),
    ]


def _off_route(route: dict[str, Any]) -> ProblemError:
    role = route["role"]
    why = (
        f" because {', '.join(route['involved'])} took part in managing the behaviour"
        if route.get("reason") == "involved"
        else ""
    )
    return ProblemError(
        403,
        "not-permitted",
        "You may not do that.",
        f"This appeal is routed to the {role}{why}: only someone holding that role may decide it.",
        extensions={"action": Action.DECIDE_APPEAL.value, "route": role, "allowed_roles": [role]},
    )


def _conflicted(found: Conflict, decision_id: uuid.UUID) -> ProblemError:
    parts = [p.value for p in found.parts]
    return ProblemError(
        403,
        "separation-of-duties",
        "You took part in the decision appealed.",
        f"{found.subject} {' and '.join(parts)} decision {decision_id}: nobody who made, "
        "advised on or reviewed a decision may decide its appeal.",
        extensions={
            "action": Action.DECIDE_APPEAL.value,
            "conflict": {"subject": found.subject, "parts": parts},
        },
    )


def _check_variations(command: DecideAppeal, markers: Sequence[Marker]) -> None:
    faults: list[InvalidParam] = []
    if command.outcome is AppealOutcome.VARIED and not command.variations:
        faults.append(
            InvalidParam(name="body.variations", reason="a varied outcome says how: give one")
        )
    if command.outcome is not AppealOutcome.VARIED and command.variations:
        faults.append(
            InvalidParam(
                name="body.variations",
                reason=f"only a varied outcome changes markers this way; {command.outcome.value} "
                "takes none",
            )
        )
    faults.extend(
        marker_changes.variation_faults(
            [v.marker_id for v in command.variations],
            markers,
            "is not a marker the decision appealed imposed",
        ).values()
    )
    if faults:
        raise policy_violation(faults, "That outcome does not fit the decision.")


async def _apply(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    command: DecideAppeal,
    markers: Sequence[Marker],
    appeal_id: uuid.UUID,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """The outcome's marker changes: (varied ids, lifted ids). The appeal's authority is the
    one the policy gives whoever hears it, so the markers change under `decide_appeal`, not
    under the impose rule of their kind (a Complaints Team member may not impose one)."""
    varied: list[str] = []
    lifted: list[str] = []
    if command.outcome is AppealOutcome.VARIED:
        for index, variation in enumerate(command.variations):
            change = VaryMarker.model_validate(
                variation.model_dump(exclude={"marker_id"}, exclude_unset=True)
            )
            await marker_changes.vary(
                session,
                context,
                Action.DECIDE_APPEAL,
                profile,
                variation.marker_id,
                change,
                now,
                index=index,
            )
            varied.append(str(variation.marker_id))
    elif command.outcome is AppealOutcome.OVERTURNED:
        changed = await marker_changes.lift_standing(
            session,
            context,
            Action.DECIDE_APPEAL,
            markers,
            f"Overturned on appeal {appeal_id}.",
            now,
        )
        lifted = [c.after.id for c in changed]
    return varied, lifted


async def decide(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    appeal_id: uuid.UUID,
    command: DecideAppeal,
    now: datetime,
    if_match: IfMatch | None = None,
) -> DecisionRow:
    """Decide an appeal, once: by someone holding the role it was routed to who took no part
    in the decision; its markers changed as the outcome says, in the same transaction."""
    now = to_second(now)
    found = await case_file.latest(session, appeal_id)
    if found.step != Step.APPEAL.value:
        raise _wrong_step(found, Step.APPEAL, "Only an appeal is decided as one.")
    # Two decisions on one appeal take turns; the second finds the first.
    await records.lock_customer(session, found.customer_ref)
    current = await case_file.latest(session, appeal_id)
    if "outcome" in current.details:
        raise conflict(
            f"The appeal was decided ({current.details['outcome']}) on version "
            f"{current.version}: an appeal is decided once; the customer may go to the "
            f"{lifecycle.ombudsman}."
        )
    route = current.details["route"]
    if not holds_route(route["role"], context.principal.roles, profile.access.juniors):
        raise _off_route(route)
    if if_match is not None and not if_match.matches(current.version):
        raise precondition_failed(current.version)
    assert current.about_id is not None
    decision = await case_file.latest(session, current.about_id)
    found_conflict = appeal_conflict(context.actor, await participants(session, decision))
    if found_conflict is not None:
        raise _conflicted(found_conflict, decision.id)
    # In the order of their ids, as the outcome lists those it lifted.
    markers = sorted(
        await case_file.markers_of(session, decision.id), key=lambda m: uuid.UUID(m.id)
    )
    _check_variations(command, markers)
    varied, lifted = await _apply(session, context, profile, command, markers, appeal_id, now)
    details = {
        **current.details,
        "outcome": command.outcome.value,
        "outcome_reasons": command.reasons,
        "decided_on": to_london(now).date().isoformat(),
        "markers_varied": varied,
        "markers_lifted": lifted,
        "ombudsman": lifecycle.ombudsman,
        "ombudsman_right": (
            f"If you remain dissatisfied, you may ask the {lifecycle.ombudsman} to consider "
            "your complaint."
        ),
    }
    # Its event, after the events of the markers it changed (app/domain/events).
    return await records.write_next_version(
        session,
        context,
        profile,
        current,
        details,
        f"{APPEAL_DECIDED}: {command.outcome.value}",
        now,
    )


async def list_appeals(session: AsyncSession, decision_id: uuid.UUID) -> Sequence[DecisionRow]:
    await case_file.latest(session, decision_id)
    rows = await session.scalars(
        latest_versions(DecisionRow).where(
            DecisionRow.about_id == decision_id, DecisionRow.step == Step.APPEAL.value
        )
    )
    # Oldest first by when each appeal was first lodged: its id's first version.
    firsts = {
        record_id: seq
        for record_id, seq in await session.execute(
            select(DecisionRow.id, DecisionRow.seq).where(
                DecisionRow.about_id == decision_id,
                DecisionRow.step == Step.APPEAL.value,
                DecisionRow.version == 1,
            )
        )
    }
    return sorted(rows.all(), key=lambda r: firsts.get(r.id, 0))
