"""Reviews (docs/domain.md: decision-lifecycle, reviews): by the decision maker "at the time
specified in the decision letter, which will be no more than six months after the date the
decision was taken" (Flintshire "Reviewing decisions"; Wrexham 7.1), social-media
restrictions by "a group of 2 or more" (Flintshire Appendix 2, step 6), and the safety net
that makes a missed review visible without anyone remembering."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.policy.terms import add_months
from app.domain.time.london import first_instant_at_or_after, to_london
from app.domain.vocabulary import Role


class ReviewOutcome(StrEnum):
    CONTINUE = "continue"
    VARY = "vary"
    LIFT = "lift"


class ReviewState(StrEnum):
    DUE = "due"  # not done, and its date has not passed
    PENDING_SECOND_REVIEWER = "pending_second_reviewer"  # begun, needs more reviewers
    OVERDUE = "overdue"  # not done by the end of its date
    DONE = "done"


@dataclass(frozen=True, slots=True)
class ReviewStatus:
    state: ReviewState
    review_due: date
    overdue_at: datetime
    reviewers: int  # distinct reviewers so far
    reviewers_needed: int
    # Whole London days past the due date; 0 unless overdue.
    days_overdue: int


def overdue_at(review_due: date) -> datetime:
    """A review is due on its date and may be done until that London day ends: it is
    overdue from the first instant of the next day."""
    next_day = datetime.combine(review_due + timedelta(days=1), datetime.min.time())
    return first_instant_at_or_after(next_day)


def reviewers_needed(policy: LifecyclePolicy, social_media: bool) -> int:
    return policy.social_media_reviewers if social_media else 1


def review_status(
    policy: LifecyclePolicy,
    review_due: date,
    reviewers: Iterable[str],
    at: datetime,
    *,
    social_media: bool,
) -> ReviewStatus:
    """The review's state at `at`. `reviewers` are the people who have recorded it (one
    person twice is one reviewer). An overdue review stays overdue while it waits for its
    second reviewer: the missed date is what the worklist must show."""
    count = len(set(reviewers))
    needed = reviewers_needed(policy, social_media)
    late_from = overdue_at(review_due)
    days_late = 0
    if count >= needed:
        state = ReviewState.DONE
    elif at >= late_from:
        state = ReviewState.OVERDUE
        days_late = (to_london(at).date() - review_due).days
    elif count:
        state = ReviewState.PENDING_SECOND_REVIEWER
    else:
        state = ReviewState.DUE
    return ReviewStatus(state, review_due, late_from, count, needed, days_late)


def urgency_key(status: ReviewStatus) -> tuple[int, int]:
    """Sort key for the worklist: overdue first, the most overdue first; then the open
    reviews (due or awaiting a reviewer) by the soonest date; then the done ones."""
    if status.state is ReviewState.OVERDUE:
        return (0, status.review_due.toordinal())
    if status.state is ReviewState.DONE:
        return (2, -status.review_due.toordinal())
    return (1, status.review_due.toordinal())


def latest_next_review(policy: LifecyclePolicy, reviewed_at: datetime) -> date:
    """A review that continues (or varies) a restriction sets the next, again no more than
    the profile's months on, counted from the review as the first was from the decision."""
    return add_months(to_london(reviewed_at).date(), policy.review_within_months)


def next_review_faults(
    policy: LifecyclePolicy,
    outcome: ReviewOutcome,
    reviewed_at: datetime,
    next_review_due: date | None,
) -> tuple[Fault, ...]:
    """A lift ends the restriction, so it sets no next review; continue and vary must."""
    if outcome is ReviewOutcome.LIFT:
        return ()
    if next_review_due is None:
        return (Fault("next_review_due", FaultCode.REQUIRED),)
    if next_review_due > latest_next_review(policy, reviewed_at):
        return (Fault("next_review_due", FaultCode.TOO_LATE),)
    if next_review_due <= to_london(reviewed_at).date():
        return (Fault("next_review_due", FaultCode.TOO_EARLY),)
    return ()


def escalation_roles(juniors: Mapping[Role, frozenset[Role]], role: Role) -> tuple[Role, ...]:
    """Who an overdue review goes to: the nearest roles senior to `role` (each of its
    seniors that is not senior to another of them), from the profile's seniority
    (`AccessPolicy.juniors`). The most senior role has none above it: its own review stays
    with it, overdue."""
    seniors = {r for r, below in juniors.items() if role in below}
    nearest = {s for s in seniors if not seniors & juniors[s]}
    return tuple(sorted(nearest)) or (role,)


def lapse_at(policy: LifecyclePolicy, review_due: date) -> datetime | None:
    """Where the profile lets a restriction lapse unless renewed: the instant it ends, the
    same instant its review turns overdue. None where it does not lapse."""
    return overdue_at(review_due) if policy.lapse_at_review else None


def has_lapsed(policy: LifecyclePolicy, review_due: date, renewed: bool, at: datetime) -> bool:
    end = lapse_at(policy, review_due)
    return not renewed and end is not None and at >= end


def in_active_contact(policy: LifecyclePolicy, contacts: Sequence[datetime], at: datetime) -> bool:
    """A recorded contact within the profile's window before `at` (not after it)."""
    since = at - policy.active_contact_window
    return any(since <= c <= at for c in contacts)


def must_tell_customer(
    policy: LifecyclePolicy, outcome: ReviewOutcome, contacts: Sequence[datetime], at: datetime
) -> bool:
    """ "We will only contact a customer to advise them of any change to the restriction if
    they remain in active contact": a change, and recent contact, both."""
    return outcome is not ReviewOutcome.CONTINUE and in_active_contact(policy, contacts, at)


def lapse_end(
    policy: LifecyclePolicy, review_due: date, ends_at: datetime | None
) -> datetime | None:
    """The end a restriction reviewed on `review_due` is given where the profile lets it
    lapse: its own end, or the lapse instant if that comes first. The contact check then
    stops restricting at that instant by itself: no job has to run for it to lapse."""
    end = lapse_at(policy, review_due)
    if end is None or (ends_at is not None and ends_at <= end):
        return ends_at
    return end


def renewed_end(
    policy: LifecyclePolicy, review_due: date, next_review_due: date, ends_at: datetime | None
) -> datetime | None:
    """A review that renews (continue, vary) carries a lapsing restriction's end from this
    cycle's lapse instant to the next one. An end of the marker's own before the lapse
    stays; one left open (imposed while the option was off) now lapses too."""
    old = lapse_at(policy, review_due)
    if old is None:
        return ends_at
    if ends_at is None or ends_at == old:
        return lapse_at(policy, next_review_due)
    return lapse_end(policy, next_review_due, ends_at)


@dataclass(frozen=True, slots=True)
class RecordedReview:
    """A review as recorded: who, what they decided, and whether it completed its cycle
    (enough distinct reviewers; the outcome then applied)."""

    reviewer: str
    outcome: ReviewOutcome
    applied: bool
    next_review_due: date | None


@dataclass(frozen=True, slots=True)
class ReviewCycle:
    """A formal decision's review as it stands: the first cycle's date is the decision's,
    and each review that continues or varies it starts the next, on the date it set."""

    number: int  # 1 for the decision's first review
    review_due: date
    # Who has recorded this cycle so far (each once, in order), and what each decided.
    reviewers: tuple[str, ...]
    outcomes: tuple[ReviewOutcome, ...]
    # A completed review lifted the restriction: nothing is left to review.
    lifted: bool


def current_cycle(first_due: date, reviews: Iterable[RecordedReview]) -> ReviewCycle:
    """The cycle the next review belongs to, from the reviews recorded in order."""
    number, due = 1, first_due
    reviewers: list[str] = []
    outcomes: list[ReviewOutcome] = []
    for review in reviews:
        if review.reviewer not in reviewers:
            reviewers.append(review.reviewer)
            outcomes.append(review.outcome)
        if not review.applied:
            continue
        if review.outcome is ReviewOutcome.LIFT or review.next_review_due is None:
            return ReviewCycle(number, due, tuple(reviewers), tuple(outcomes), lifted=True)
        number, due = number + 1, review.next_review_due
        reviewers, outcomes = [], []
    return ReviewCycle(number, due, tuple(reviewers), tuple(outcomes), lifted=False)


def cycle_status(
    policy: LifecyclePolicy, cycle: ReviewCycle, at: datetime, *, social_media: bool
) -> ReviewStatus:
    """The cycle's state at `at`: a lifted restriction's review is done; otherwise as
    `review_status` says."""
    status = review_status(policy, cycle.review_due, cycle.reviewers, at, social_media=social_media)
    if cycle.lifted and status.state is not ReviewState.DONE:
        # Lifted by the reviewers the profile asked for then: done, whatever it asks now.
        return ReviewStatus(
            ReviewState.DONE,
            cycle.review_due,
            status.overdue_at,
            status.reviewers,
            status.reviewers_needed,
            0,
        )
    return status


class ReviewRefusal(StrEnum):
    # The restriction was lifted at an earlier review: nothing is left to review.
    ALREADY_LIFTED = "already_lifted"
    # One person cannot be two of the group a social-media review needs.
    SAME_REVIEWER = "same_reviewer"
    # The group must agree: an outcome other than the one recorded before is not applied.
    DISAGREES = "disagrees"


def review_refusal(
    cycle: ReviewCycle, reviewer: str, outcome: ReviewOutcome
) -> ReviewRefusal | None:
    """Whether `reviewer` may record `outcome` in this cycle. A group review (a social-
    media block: "a group of 2 or more") applies only an outcome every member recorded,
    so neither a lift nor a continuation is one reviewer's alone; the reviewer who
    completes it may still set the variations and the next date (theirs are applied)."""
    if cycle.lifted:
        return ReviewRefusal.ALREADY_LIFTED
    if reviewer in cycle.reviewers:
        return ReviewRefusal.SAME_REVIEWER
    if any(earlier is not outcome for earlier in cycle.outcomes):
        return ReviewRefusal.DISAGREES
    return None


def completes(
    policy: LifecyclePolicy, cycle: ReviewCycle, reviewer: str, *, social_media: bool
) -> bool:
    """Whether this review brings the cycle to the reviewers it needs (then it applies)."""
    return len({*cycle.reviewers, reviewer}) >= reviewers_needed(policy, social_media)
