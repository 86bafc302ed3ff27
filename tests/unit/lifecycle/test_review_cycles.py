"""Review cycles, group reviews, lapse and renewal (docs/domain.md: reviews): the rules
app/reviews applies, tested without I/O."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.domain.lifecycle.policy import load_lifecycle, with_lapse
from app.domain.lifecycle.reviews import (
    RecordedReview,
    ReviewCycle,
    ReviewOutcome,
    ReviewRefusal,
    ReviewState,
    completes,
    current_cycle,
    cycle_status,
    lapse_at,
    lapse_end,
    overdue_at,
    renewed_end,
    review_refusal,
)
from app.domain.vocabulary import PolicyProfileName

FLINTSHIRE = load_lifecycle(PolicyProfileName.FLINTSHIRE)
LAPSING = dataclasses.replace(FLINTSHIRE, lapse_at_review=True)
FIRST = date(2026, 7, 15)
SECOND = date(2026, 12, 1)
CONTINUE, VARY, LIFT = ReviewOutcome.CONTINUE, ReviewOutcome.VARY, ReviewOutcome.LIFT


def _review(
    who: str, outcome: ReviewOutcome, *, applied: bool = True, next_due: date | None = SECOND
) -> RecordedReview:
    return RecordedReview(who, outcome, applied, None if outcome is LIFT else next_due)


def test_the_first_cycle_is_the_decisions_and_a_continue_starts_the_next() -> None:
    assert current_cycle(FIRST, []) == ReviewCycle(1, FIRST, (), (), lifted=False)
    after = current_cycle(FIRST, [_review("a", CONTINUE)])
    assert (after.number, after.review_due, after.reviewers, after.lifted) == (
        2,
        SECOND,
        (),
        False,
    )
    third = current_cycle(
        FIRST, [_review("a", CONTINUE), _review("b", VARY, next_due=date(2027, 3, 1))]
    )
    assert (third.number, third.review_due) == (3, date(2027, 3, 1))


def test_a_pending_review_stays_in_its_cycle_and_a_lift_ends_the_reviews() -> None:
    pending = current_cycle(FIRST, [_review("a", LIFT, applied=False)])
    assert (pending.number, pending.review_due, pending.reviewers, pending.outcomes) == (
        1,
        FIRST,
        ("a",),
        (LIFT,),
    )
    lifted = current_cycle(FIRST, [_review("a", LIFT, applied=False), _review("b", LIFT)])
    assert lifted.lifted and lifted.reviewers == ("a", "b")
    assert review_refusal(lifted, "c", CONTINUE) is ReviewRefusal.ALREADY_LIFTED


def test_a_group_review_needs_distinct_reviewers_who_agree() -> None:
    pending = current_cycle(FIRST, [_review("a", LIFT, applied=False)])
    assert review_refusal(pending, "a", LIFT) is ReviewRefusal.SAME_REVIEWER
    assert review_refusal(pending, "b", CONTINUE) is ReviewRefusal.DISAGREES
    assert review_refusal(pending, "b", LIFT) is None
    assert completes(FLINTSHIRE, pending, "b", social_media=True)
    fresh = current_cycle(FIRST, [])
    assert not completes(FLINTSHIRE, fresh, "a", social_media=True)
    assert completes(FLINTSHIRE, fresh, "a", social_media=False)


def test_the_cycle_state_follows_the_clock_and_a_lift_is_done() -> None:
    late = overdue_at(FIRST)
    fresh = current_cycle(FIRST, [])
    assert cycle_status(
        FLINTSHIRE, fresh, late - timedelta(seconds=1), social_media=False
    ).state is (ReviewState.DUE)
    assert cycle_status(FLINTSHIRE, fresh, late, social_media=False).state is ReviewState.OVERDUE
    pending = current_cycle(FIRST, [_review("a", LIFT, applied=False)])
    assert cycle_status(FLINTSHIRE, pending, late - timedelta(days=1), social_media=True).state is (
        ReviewState.PENDING_SECOND_REVIEWER
    )
    lifted = current_cycle(FIRST, [_review("a", LIFT)])
    done = cycle_status(FLINTSHIRE, lifted, late + timedelta(days=30), social_media=True)
    assert (done.state, done.days_overdue) == (ReviewState.DONE, 0)


@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from(list(ReviewOutcome)), st.booleans()),
        max_size=12,
    )
)
def test_a_cycle_counts_only_the_reviews_since_the_last_applied_one(
    steps: list[tuple[str, ReviewOutcome, bool]],
) -> None:
    reviews = [_review(who, outcome, applied=applied) for who, outcome, applied in steps]
    cycle = current_cycle(FIRST, reviews)
    applied_at = [i for i, r in enumerate(reviews) if r.applied]
    if applied_at and reviews[applied_at[0]].outcome is LIFT:
        # The first lift applied ends the reviews, whatever was recorded after it.
        assert cycle.lifted
        return
    lifts = [i for i in applied_at if reviews[i].outcome is LIFT]
    assert cycle.lifted is bool(lifts)
    if lifts:
        return
    since = reviews[applied_at[-1] + 1 :] if applied_at else reviews
    assert cycle.number == 1 + len(applied_at)
    assert set(cycle.reviewers) == {r.reviewer for r in since}
    assert len(cycle.reviewers) == len(set(cycle.reviewers))


def test_a_lapsing_restriction_ends_at_the_lapse_instant_at_the_latest() -> None:
    lapse = overdue_at(FIRST)
    assert lapse_at(LAPSING, FIRST) == lapse
    assert lapse_end(LAPSING, FIRST, None) == lapse
    assert lapse_end(LAPSING, FIRST, lapse + timedelta(days=3)) == lapse
    own = lapse - timedelta(days=3)
    assert lapse_end(LAPSING, FIRST, own) == own
    # Off (both councils' profiles): the end is the marker's own.
    assert lapse_end(FLINTSHIRE, FIRST, None) is None


def test_a_renewing_review_carries_the_lapse_to_the_next_one() -> None:
    lapse, next_lapse = overdue_at(FIRST), overdue_at(SECOND)
    assert renewed_end(LAPSING, FIRST, SECOND, lapse) == next_lapse
    # An end of the marker's own, before either lapse, stays.
    own = lapse - timedelta(days=1)
    assert renewed_end(LAPSING, FIRST, SECOND, own) == own
    # Open-ended (imposed while the option was off): it lapses from now on.
    assert renewed_end(LAPSING, FIRST, SECOND, None) == next_lapse
    # A next review sooner than the last brings the lapse forward.
    sooner = date(2026, 7, 1)
    assert renewed_end(LAPSING, FIRST, sooner, lapse) == overdue_at(sooner)
    assert renewed_end(FLINTSHIRE, FIRST, SECOND, None) is None
    assert renewed_end(FLINTSHIRE, FIRST, SECOND, lapse) == lapse


def test_the_deployment_may_override_the_profiles_lapse_option() -> None:
    assert with_lapse(FLINTSHIRE, None) is FLINTSHIRE
    assert with_lapse(FLINTSHIRE, True).lapse_at_review is True
    assert with_lapse(LAPSING, False).lapse_at_review is False
    assert with_lapse(FLINTSHIRE, True).review_within_months == FLINTSHIRE.review_within_months


def test_the_lapse_instant_is_midnight_in_london() -> None:
    # 15 July is in British Summer Time: midnight in London is 23:00 UTC the day before.
    assert lapse_at(LAPSING, FIRST) == datetime(2026, 7, 15, 23, tzinfo=UTC)
