"""Appeals (docs/domain.md: decision-lifecycle, appeals): "within 20 working days of receiving
it, by writing to ..." (Flintshire "Appealing a decision"; Wrexham 7.2-7.4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from app.domain.lifecycle.ladder import Step
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


@dataclass(frozen=True, slots=True)
class Authored:
    """A record on the customer's case file as far as routing cares: its step, and the
    roles its author held when recording it (None where the record predates keeping them)."""

    step: str  # a Step's value; a step this build does not know is still someone's part
    roles: frozenset[Role] | None


@dataclass(frozen=True, slots=True)
class Involvement:
    roles: frozenset[Role]
    # Records that do not show their author's roles (older than migration 0007): the
    # records cannot show involvement there, so they move nothing; counted so that whoever
    # decides the appeal can check the paper file.
    unshown: int


# Lodging an appeal is opening the customer's letter, not managing their behaviour.
_NOT_INVOLVEMENT: Final = frozenset({Step.APPEAL})


def involved_roles(records: Iterable[Authored]) -> Involvement:
    """Every role held by whoever recorded a step of the case file (a warning, a
    restriction, a referral, a decision, a review): Wrexham 7.3's "issued the warning or
    was involved in managing the behaviour", as the records show."""
    roles: set[Role] = set()
    unshown = 0
    for record in records:
        if record.step in _NOT_INVOLVEMENT:
            continue
        if record.roles is None:
            unshown += 1
        else:
            roles |= record.roles
    return Involvement(frozenset(roles), unshown)


def holds_route(
    route: Role, roles: Iterable[Role], juniors: Mapping[Role, frozenset[Role]]
) -> bool:
    """Whether someone holding `roles` holds the role the appeal was routed to, themselves
    or by seniority (a senior role may do all its juniors may: the Complaints Lead leads
    the Complaints Team)."""
    return any(r == route or route in juniors.get(r, frozenset()) for r in roles)


# Neither policy says how soon an appeal is decided. Wrexham handles it "as a formal
# complaint investigation", and the Public Services Ombudsman for Wales' model complaints
# policy answers a formal complaint within 20 working days: the service uses that period
# for both councils, to flag an appeal decided late in the annual review.
APPEAL_DECISION_WORKING_DAYS: Final = 20


def appeal_decision_due(appeal_received_on: date) -> date:
    """The last working day on which an appeal is decided in time."""
    return add_working_days(appeal_received_on, APPEAL_DECISION_WORKING_DAYS)


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
