"""Appeals (docs/domain.md: decision-lifecycle, appeals): "within 20 working days of receiving
it, by writing to ..." (Flintshire "Appealing a decision"; Wrexham 7.2-7.4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.lifecycle.working_days import add_working_days, working_days_between
from app.domain.vocabulary import Role


class AppealOutcome(StrEnum):
    UPHELD = "upheld"  # the decision stands
    VARIED = "varied"  # its markers change
    OVERTURNED = "overturned"  # its markers are lifted


def changes_markers(outcome: AppealOutcome) -> bool:
    return outcome is not AppealOutcome.UPHELD


@dataclass(frozen=True, slots=True)
class AppealTiming:
    decision_received_on: date
    deadline: date  # the last working day on which the appeal is in time
    late: bool
    # Working days after the deadline the appeal arrived; 0 when in time.
    working_days_late: int


def appeal_deadline(policy: LifecyclePolicy, decision_received_on: date) -> date:
    return add_working_days(decision_received_on, policy.appeal_working_days)


def appeal_timing(
    policy: LifecyclePolicy,
    appeal_received_on: date,
    notice_date: date,
    decision_received_on: date | None = None,
) -> AppealTiming:
    """Whether a written appeal is in time. The customer received the decision on the
    notice's date unless a later receipt is recorded. A late appeal is flagged, never
    refused: a council may accept it."""
    received = decision_received_on or notice_date
    deadline = appeal_deadline(policy, received)
    late_by = max(0, working_days_between(deadline, appeal_received_on))
    return AppealTiming(received, deadline, appeal_received_on > deadline, late_by)


class RouteReason(StrEnum):
    POLICY = "policy"  # the role the policy names for appeals
    INVOLVED = "involved"  # Wrexham 7.3: the usual role was involved, so it goes higher


@dataclass(frozen=True, slots=True)
class AppealRoute:
    role: Role
    reason: RouteReason
    # The roles whose involvement moved it (empty for POLICY).
    involved: tuple[Role, ...] = ()


def appeal_route(policy: LifecyclePolicy, involved_roles: Iterable[Role]) -> AppealRoute:
    """Who decides the appeal. `involved_roles` are the roles held, as the records show,
    by whoever issued a warning or took part in managing the customer's behaviour. Only
    the role the profile names moves the appeal (Wrexham: the Complaints Lead): the policy
    names that post, not whoever ranks above it."""
    moved = sorted(policy.appeal_involved_roles & frozenset(involved_roles))
    if moved and policy.appeal_to_when_involved is not None:
        return AppealRoute(policy.appeal_to_when_involved, RouteReason.INVOLVED, tuple(moved))
    return AppealRoute(policy.appeal_to, RouteReason.POLICY)


class Part(StrEnum):
    """How someone took part in a decision."""

    MADE = "made"
    ADVISED = "advised"  # a Chief Officer's advice, a consultation, a referral's author
    REVIEWED = "reviewed"


@dataclass(frozen=True, slots=True)
class Participation:
    subject: str  # the person, as the identity provider names them
    part: Part


@dataclass(frozen=True, slots=True)
class Conflict:
    subject: str
    parts: tuple[Part, ...]  # every way they took part, in Part's order


def appeal_conflict(decider: str, participants: Iterable[Participation]) -> Conflict | None:
    """Nobody who made, advised on or reviewed the decision may decide its appeal, even
    holding the role that hears appeals. None when the decider is free of it."""
    parts = {p.part for p in participants if p.subject == decider}
    if not parts:
        return None
    return Conflict(decider, tuple(p for p in Part if p in parts))
