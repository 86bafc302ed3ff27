"""Reviews (docs/domain.md: decision-lifecycle, reviews)."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.policy import load_lifecycle
from app.domain.lifecycle.reviews import (
    ReviewOutcome,
    ReviewState,
    escalation_roles,
    has_lapsed,
    in_active_contact,
    lapse_at,
    must_tell_customer,
    next_review_faults,
    overdue_at,
    review_status,
    urgency_key,
)
from app.domain.policy.profile import load_profile
from app.domain.vocabulary import PolicyProfileName

FLINTSHIRE = load_lifecycle(PolicyProfileName.FLINTSHIRE)
WREXHAM = load_lifecycle(PolicyProfileName.WREXHAM)
DUE = date(2026, 7, 15)  # British Summer Time: London is UTC+1
# The first instant of 16 July in London.
OVERDUE_FROM = datetime(2026, 7, 15, 23, tzinfo=UTC)


def test_a_review_is_due_through_its_london_day_and_overdue_the_instant_it_ends() -> None:
    assert overdue_at(DUE) == OVERDUE_FROM
    before = review_status(
        FLINTSHIRE, DUE, [], OVERDUE_FROM - timedelta(seconds=1), social_media=False
    )
    after = review_status(FLINTSHIRE, DUE, [], OVERDUE_FROM, social_media=False)
    assert before.state is ReviewState.DUE
    assert (after.state, after.days_overdue) == (ReviewState.OVERDUE, 1)


def test_one_reviewer_completes_a_review_but_a_social_media_block_needs_two_distinct() -> None:
    at = datetime(2026, 7, 10, tzinfo=UTC)
    assert (
        review_status(FLINTSHIRE, DUE, ["ccsm-1"], at, social_media=False).state is ReviewState.DONE
    )
    one = review_status(FLINTSHIRE, DUE, ["ccsm-1", "ccsm-1"], at, social_media=True)
    assert (one.state, one.reviewers, one.reviewers_needed) == (
        ReviewState.PENDING_SECOND_REVIEWER,
        1,
        2,
    )
    two = review_status(FLINTSHIRE, DUE, ["ccsm-1", "tl-2"], at, social_media=True)
    assert two.state is ReviewState.DONE
    # Still one short when the date passes: overdue, not quietly pending.
    late = review_status(FLINTSHIRE, DUE, ["ccsm-1"], OVERDUE_FROM, social_media=True)
    assert late.state is ReviewState.OVERDUE


@pytest.mark.parametrize("lifecycle", [FLINTSHIRE, WREXHAM], ids=["flintshire", "wrexham"])
def test_a_continued_restriction_needs_a_next_review_within_six_months_of_the_review(
    lifecycle: object,
) -> None:
    policy = FLINTSHIRE if lifecycle is FLINTSHIRE else WREXHAM
    reviewed = datetime(2026, 8, 31, 10, tzinfo=UTC)
    assert next_review_faults(policy, ReviewOutcome.CONTINUE, reviewed, date(2027, 2, 28)) == ()
    assert next_review_faults(policy, ReviewOutcome.VARY, reviewed, date(2027, 3, 1)) == (
        Fault("next_review_due", FaultCode.TOO_LATE),
    )
    assert next_review_faults(policy, ReviewOutcome.CONTINUE, reviewed, None) == (
        Fault("next_review_due", FaultCode.REQUIRED),
    )
    assert next_review_faults(policy, ReviewOutcome.CONTINUE, reviewed, date(2026, 8, 31)) == (
        Fault("next_review_due", FaultCode.TOO_EARLY),
    )
    assert next_review_faults(policy, ReviewOutcome.LIFT, reviewed, None) == ()


def test_an_overdue_review_escalates_to_the_nearest_senior_roles() -> None:
    flint = load_profile(PolicyProfileName.FLINTSHIRE).access.juniors
    wrex = load_profile(PolicyProfileName.WREXHAM).access.juniors
    assert escalation_roles(flint, "ccsm") == ("chief_officer",)
    assert escalation_roles(flint, "team_leader") == ("ccsm",)
    # The top has nobody above: it stays with them.
    assert escalation_roles(flint, "chief_officer_governance") == ("chief_officer_governance",)
    assert escalation_roles(wrex, "service_manager") == ("chief_officer_governance_customer",)
    assert escalation_roles(wrex, "complaints_lead") == ("chief_officer_governance_customer",)
    assert escalation_roles(wrex, "team_manager") == ("complaints_lead", "service_manager")


def test_no_restriction_lapses_under_the_shipped_profiles() -> None:
    assert lapse_at(FLINTSHIRE, DUE) is None
    assert not has_lapsed(WREXHAM, DUE, False, OVERDUE_FROM + timedelta(days=400))


def test_with_the_option_on_a_restriction_lapses_at_the_instant_its_review_falls_due() -> None:
    lapsing = dataclasses.replace(FLINTSHIRE, lapse_at_review=True)
    assert lapse_at(lapsing, DUE) == OVERDUE_FROM
    assert not has_lapsed(lapsing, DUE, False, OVERDUE_FROM - timedelta(microseconds=1))
    assert has_lapsed(lapsing, DUE, False, OVERDUE_FROM)
    assert not has_lapsed(lapsing, DUE, True, OVERDUE_FROM)


def test_the_customer_is_told_of_a_change_only_when_in_active_contact() -> None:
    at = datetime(2026, 7, 15, 12, tzinfo=UTC)
    recent = [at - timedelta(days=89)]
    stale = [at - timedelta(days=91), at + timedelta(days=1)]
    assert FLINTSHIRE.active_contact_window == timedelta(days=90)
    assert in_active_contact(FLINTSHIRE, recent, at)
    assert not in_active_contact(FLINTSHIRE, stale, at)
    assert must_tell_customer(FLINTSHIRE, ReviewOutcome.VARY, recent, at)
    assert must_tell_customer(FLINTSHIRE, ReviewOutcome.LIFT, recent, at)
    assert not must_tell_customer(FLINTSHIRE, ReviewOutcome.CONTINUE, recent, at)
    assert not must_tell_customer(FLINTSHIRE, ReviewOutcome.LIFT, stale, at)


@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
            st.integers(min_value=0, max_value=2),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_the_worklist_puts_overdue_first_most_overdue_first_then_soonest_due(
    reviews: list[tuple[date, int, bool]],
) -> None:
    at = datetime(2026, 7, 1, 12, tzinfo=UTC)
    statuses = [
        review_status(FLINTSHIRE, due, [f"r{i}" for i in range(n)], at, social_media=social)
        for due, n, social in reviews
    ]
    ordered = sorted(statuses, key=urgency_key)
    rank = {
        ReviewState.OVERDUE: 0,
        ReviewState.DUE: 1,
        ReviewState.PENDING_SECOND_REVIEWER: 1,
        ReviewState.DONE: 2,
    }
    for earlier, later in itertools.pairwise(ordered):
        assert rank[earlier.state] <= rank[later.state]
        if rank[earlier.state] == rank[later.state] == 0:
            assert earlier.days_overdue >= later.days_overdue
        if rank[earlier.state] == rank[later.state] == 1:
            assert earlier.review_due <= later.review_due
    for status in statuses:
        assert (status.state is ReviewState.OVERDUE) is (
            status.reviewers < status.reviewers_needed and status.review_due < date(2026, 7, 1)
        )
