"""The annual review (docs/domain.md: review): "at the end of each financial year (31 March)
the CCSM reviews all restrictions imposed under the policy, for consistency" (Flintshire).
Pure aggregation: the facts of each formal decision imposed in the year go in, the report
and the inconsistencies it flags come out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from app.domain.lifecycle.appeals import AppealOutcome

# "Very different": the longest restriction for one kind of behaviour more than this many
# times the shortest. The policies ask for consistency without a number; three times is a
# difference no reader would call a matter of degree (one month against four).
VERY_DIFFERENT_RATIO: Final = 3


def financial_year(year: int) -> tuple[date, date]:
    """The financial year that starts in `year`: 1 April to 31 March, London dates."""
    return date(year, 4, 1), date(year + 1, 3, 31)


def restriction_days(
    decided_on: date, marker_ends: Iterable[date | None], review_due: date | None
) -> int | None:
    """How long a decision restricts contact, in days from the decision: to the latest end
    of its markers as imposed. An open-ended marker lasts at least until the review that
    may end it, so it counts to the review date. None when nothing gives a length."""
    ends = [end if end is not None else review_due for end in marker_ends]
    known = [end for end in ends if end is not None]
    if not known:
        return None
    return max(0, (max(known) - decided_on).days)


def very_different(durations: Iterable[int]) -> bool:
    """Whether the longest of these durations is more than VERY_DIFFERENT_RATIO times the
    shortest. A zero-day restriction against any longer one is very different."""
    values = list(durations)
    if len(values) < 2:
        return False
    return max(values) > VERY_DIFFERENT_RATIO * min(values)


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    id: str
    done_on: date
    due_on: date | None  # the date it answered: the decision's, or the review before's
    outcome: str | None
    next_due: date | None  # the review date it set, if it set one

    @property
    def on_time(self) -> bool | None:
        """Done by the end of its due date; None when nothing said when it was due."""
        return None if self.due_on is None else self.done_on <= self.due_on


@dataclass(frozen=True, slots=True)
class AppealFacts:
    id: str
    received_on: date
    late: bool  # lodged after the 20 working days
    decision_due: date
    outcome: AppealOutcome | None
    decided_on: date | None

    def decided_late(self, as_of: date) -> bool:
        """Decided after its due date, or still undecided after it."""
        if self.decided_on is not None:
            return self.decided_on > self.decision_due
        return as_of > self.decision_due


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    id: str
    customer_ref: str
    decided_on: date
    categories: frozenset[str]  # the behaviour categories of the incidents it links
    marker_kinds: tuple[str, ...]
    duration: str  # as the notice says it
    duration_days: int | None  # from `restriction_days`
    review_due: date | None
    # When the last of its markers stopped (lifted or ended); None while one is in force.
    ended_on: date | None
    override_reason: str | None
    reviews: tuple[ReviewFacts, ...] = ()
    appeals: tuple[AppealFacts, ...] = ()


class FlagCode(StrEnum):
    INCONSISTENT_DURATIONS = "inconsistent_durations"
    MISSING_REVIEW = "missing_review"
    LATE_REVIEW = "late_review"
    APPEAL_DECIDED_LATE = "appeal_decided_late"


@dataclass(frozen=True, slots=True)
class Flag:
    code: FlagCode
    decision_ids: tuple[str, ...]
    detail: str
    category: str | None = None
    appeal_id: str | None = None
    review_id: str | None = None


@dataclass(frozen=True, slots=True)
class AnnualReview:
    year: int
    starts_on: date
    ends_on: date
    decisions: tuple[DecisionFacts, ...]
    flags: tuple[Flag, ...] = field(default=())


def review_chain(
    review_due: date | None, reviews: Sequence[tuple[str, date, str | None, date | None]]
) -> tuple[ReviewFacts, ...]:
    """Each review (id, done on, outcome, next due), in the order done, with the date it
    answered: the first the decision's review date, each later one the date the review
    before it set."""
    chained: list[ReviewFacts] = []
    due = review_due
    for review_id, done_on, outcome, next_due in sorted(reviews, key=lambda r: r[1]):
        chained.append(ReviewFacts(review_id, done_on, due, outcome, next_due))
        due = next_due
    return tuple(chained)


def _outstanding_due(decision: DecisionFacts) -> date | None:
    """The review date nothing has answered yet: the last review's next date, or the
    decision's own while none is recorded."""
    if decision.reviews:
        return decision.reviews[-1].next_due
    return decision.review_due


def _review_flags(decision: DecisionFacts, as_of: date) -> list[Flag]:
    flags = [
        Flag(
            FlagCode.LATE_REVIEW,
            (decision.id,),
            f"reviewed on {r.done_on.isoformat()}, due by {r.due_on.isoformat()}",
            review_id=r.id,
        )
        for r in decision.reviews
        if r.on_time is False and r.due_on is not None
    ]
    due = _outstanding_due(decision)
    # No review is owed for a restriction that had already stopped by its review date.
    stopped = decision.ended_on is not None and due is not None and decision.ended_on <= due
    if due is not None and due < as_of and not stopped:
        flags.append(
            Flag(
                FlagCode.MISSING_REVIEW,
                (decision.id,),
                f"a review was due by {due.isoformat()} and none is recorded",
            )
        )
    return flags


def _appeal_flags(decision: DecisionFacts, as_of: date) -> list[Flag]:
    return [
        Flag(
            FlagCode.APPEAL_DECIDED_LATE,
            (decision.id,),
            (
                f"decided on {a.decided_on.isoformat()}, due by {a.decision_due.isoformat()}"
                if a.decided_on is not None
                else f"undecided, due by {a.decision_due.isoformat()}"
            ),
            appeal_id=a.id,
        )
        for a in decision.appeals
        if a.decided_late(as_of)
    ]


def _duration_flags(decisions: Sequence[DecisionFacts]) -> list[Flag]:
    by_category: dict[str, list[DecisionFacts]] = defaultdict(list)
    for decision in decisions:
        if decision.duration_days is None:
            continue
        for category in decision.categories:
            by_category[category].append(decision)
    flags: list[Flag] = []
    for category in sorted(by_category):
        group = by_category[category]
        days = [d.duration_days for d in group if d.duration_days is not None]
        if not very_different(days):
            continue
        shortest, longest = min(days), max(days)
        flags.append(
            Flag(
                FlagCode.INCONSISTENT_DURATIONS,
                tuple(d.id for d in group),
                f"{category}: restrictions from {shortest} to {longest} days (more than "
                f"{VERY_DIFFERENT_RATIO} times the shortest)",
                category=category,
            )
        )
    return flags


def annual_review(year: int, decisions: Iterable[DecisionFacts], as_of: date) -> AnnualReview:
    """Every formal decision made in the financial year starting in `year`, oldest first,
    and what is inconsistent in them as of `as_of` (a London date): very different
    durations for one behaviour category, a review missing or late, an appeal decided late."""
    starts_on, ends_on = financial_year(year)
    chosen = sorted(
        (d for d in decisions if starts_on <= d.decided_on <= ends_on),
        key=lambda d: (d.decided_on, d.id),
    )
    flags = _duration_flags(chosen)
    for decision in chosen:
        flags.extend(_review_flags(decision, as_of))
        flags.extend(_appeal_flags(decision, as_of))
    return AnnualReview(year, starts_on, ends_on, tuple(chosen), tuple(flags))
