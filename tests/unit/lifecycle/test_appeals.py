"""Appeals (docs/domain.md: decision-lifecycle, appeals): deadline, lateness, routing by
profile and separation of duties."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.domain.lifecycle.appeals import (
    AppealOutcome,
    Authored,
    Conflict,
    Part,
    Participation,
    RouteReason,
    appeal_conflict,
    appeal_decision_due,
    appeal_route,
    appeal_timing,
    changes_markers,
    holds_route,
    involved_roles,
)
from app.domain.lifecycle.policy import load_lifecycle
from app.domain.lifecycle.working_days import is_working_day, working_days_between
from app.domain.policy.profile import load_profile
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


def test_the_roles_of_whoever_recorded_a_step_are_involved_but_not_of_who_lodged_an_appeal() -> (
    None
):
    found = involved_roles(
        [
            Authored("warning_letter", frozenset({"team_manager"})),
            Authored("formal_decision", frozenset({"service_manager"})),
            Authored("appeal", frozenset({"complaints_lead"})),
            Authored("referral", None),
        ]
    )
    assert found.roles == {"team_manager", "service_manager"}
    # A record older than the roles being kept shows nothing, and is counted.
    assert found.unshown == 1
    assert appeal_route(WREXHAM, found.roles).role == "complaints_team"


def test_a_complaints_lead_who_issued_the_warning_moves_the_wrexham_appeal() -> None:
    found = involved_roles([Authored("warning_letter", frozenset({"complaints_lead"}))])
    assert appeal_route(WREXHAM, found.roles).role == "chief_officer_governance_customer"


def test_the_route_is_held_by_its_role_and_the_roles_senior_to_it_only() -> None:
    juniors = load_profile(PolicyProfileName.WREXHAM).access.juniors
    assert holds_route("complaints_team", {"complaints_team"}, juniors)
    # The Complaints Lead leads the Complaints Team.
    assert holds_route("complaints_team", {"complaints_lead"}, juniors)
    assert not holds_route("complaints_team", {"service_manager"}, juniors)
    assert not holds_route("chief_officer_governance_customer", {"complaints_lead"}, juniors)
    flintshire = load_profile(PolicyProfileName.FLINTSHIRE).access.juniors
    assert not holds_route("chief_officer_governance", {"chief_officer"}, flintshire)
    assert holds_route("chief_officer_governance", {"chief_officer_governance"}, flintshire)


def test_an_appeal_is_due_a_decision_twenty_working_days_after_it_arrives() -> None:
    # Received Thursday 15 April 2027: the May Day bank holiday (3 May) does not count.
    assert appeal_decision_due(date(2027, 4, 15)) == date(2027, 5, 14)
