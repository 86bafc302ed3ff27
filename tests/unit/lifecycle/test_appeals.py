"""Appeals (docs/domain.md: decision-lifecycle, appeals): deadline, lateness, routing by
profile and separation of duties."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.domain.lifecycle.appeals import (
    AppealOutcome,
    Conflict,
    Part,
    Participation,
    RouteReason,
    appeal_conflict,
    appeal_route,
    appeal_timing,
    changes_markers,
)
from app.domain.lifecycle.policy import load_lifecycle
from app.domain.lifecycle.working_days import is_working_day, working_days_between
from app.domain.vocabulary import PolicyProfileName

FLINTSHIRE = load_lifecycle(PolicyProfileName.FLINTSHIRE)
WREXHAM = load_lifecycle(PolicyProfileName.WREXHAM)


def test_an_appeal_on_the_twentieth_working_day_is_in_time_and_the_next_day_late() -> None:
    notice = date(2026, 12, 11)
    on_time = appeal_timing(FLINTSHIRE, date(2027, 1, 13), notice)
    assert (on_time.deadline, on_time.late, on_time.working_days_late) == (
        date(2027, 1, 13),
        False,
        0,
    )
    late = appeal_timing(FLINTSHIRE, date(2027, 1, 14), notice)
    assert (late.late, late.working_days_late) == (True, 1)


def test_the_deadline_counts_from_a_recorded_later_receipt_not_the_notice() -> None:
    # Notice dated Monday 2 March 2026, delivered Thursday 5 March.
    timing = appeal_timing(WREXHAM, date(2026, 4, 2), date(2026, 3, 2), date(2026, 3, 5))
    assert timing.decision_received_on == date(2026, 3, 5)
    # 20 working days on from 5 March: Good Friday (3 April) is not reached.
    assert timing.deadline == date(2026, 4, 2)
    assert not timing.late


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
    st.integers(min_value=0, max_value=90),
)
def test_late_exactly_when_received_after_the_twentieth_working_day(
    notice: date, days_after: int
) -> None:
    received = notice + timedelta(days=days_after)
    timing = appeal_timing(FLINTSHIRE, received, notice)
    assert is_working_day(timing.deadline)
    assert working_days_between(notice, timing.deadline) == 20
    assert timing.late is (received > timing.deadline)


def test_flintshire_appeals_go_to_the_chief_officer_governance_whoever_was_involved() -> None:
    route = appeal_route(FLINTSHIRE, {"ccsm", "team_leader"})
    assert (route.role, route.reason) == ("chief_officer_governance", RouteReason.POLICY)


def test_wrexham_appeals_go_to_the_complaints_team() -> None:
    route = appeal_route(WREXHAM, {"team_manager", "service_manager"})
    assert (route.role, route.reason) == ("complaints_team", RouteReason.POLICY)


def test_wrexham_appeals_go_higher_when_the_complaints_lead_was_involved() -> None:
    route = appeal_route(WREXHAM, {"line_manager", "complaints_lead"})
    assert route.role == "chief_officer_governance_customer"
    assert route.reason is RouteReason.INVOLVED
    assert route.involved == ("complaints_lead",)


def test_whoever_made_advised_on_or_reviewed_the_decision_may_not_decide_its_appeal() -> None:
    participants = [
        Participation("ccsm-1", Part.MADE),
        Participation("chief-1", Part.ADVISED),
        Participation("ccsm-1", Part.REVIEWED),
    ]
    assert appeal_conflict("ccsm-1", participants) == Conflict("ccsm-1", (Part.MADE, Part.REVIEWED))
    assert appeal_conflict("chief-1", participants) == Conflict("chief-1", (Part.ADVISED,))
    assert appeal_conflict("cog-1", participants) is None


def test_varied_and_overturned_change_the_markers_upheld_does_not() -> None:
    assert [changes_markers(o) for o in AppealOutcome] == [False, True, True]


def test_both_councils_name_the_ombudsman() -> None:
    assert FLINTSHIRE.ombudsman == WREXHAM.ombudsman == "Public Services Ombudsman for Wales"
