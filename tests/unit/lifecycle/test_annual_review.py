"""The annual review (docs/domain.md: review, Flintshire's annual review for consistency):
the financial year, durations and when they are very different, and the flags raised."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from app.domain.lifecycle.annual_review import (
    AppealFacts,
    DecisionFacts,
    FlagCode,
    annual_review,
    financial_year,
    restriction_days,
    review_chain,
    very_different,
)
from app.domain.lifecycle.appeals import AppealOutcome


def _decision(ident: str, days: int | None, **changes: object) -> DecisionFacts:
    values: dict[str, object] = {
        "id": ident,
        "customer_ref": "C1",
        "decided_on": date(2026, 6, 1),
        "categories": frozenset({"aggressive_abusive"}),
        "marker_kinds": ("channel_limit",),
        "duration": "d",
        "duration_days": days,
        "review_due": date(2026, 12, 1),
        "ended_on": None,
        "override_reason": None,
    }
    values.update(changes)
    return DecisionFacts(**values)  # type: ignore[arg-type]


def codes(report_flags: object) -> list[str]:
    return [f.code.value for f in report_flags]  # type: ignore[attr-defined]


def test_the_financial_year_runs_from_1_april_to_31_march() -> None:
    assert financial_year(2026) == (date(2026, 4, 1), date(2027, 3, 31))


def test_a_restriction_lasts_to_its_latest_marker_end_open_ended_to_the_review() -> None:
    decided = date(2026, 6, 1)
    assert restriction_days(decided, [date(2026, 7, 1), date(2026, 6, 11)], None) == 30
    assert restriction_days(decided, [None], date(2026, 12, 1)) == 183
    assert restriction_days(decided, [date(2026, 6, 11), None], date(2026, 9, 1)) == 92
    assert restriction_days(decided, [None], None) is None
    assert restriction_days(decided, [], None) is None


def test_more_than_three_times_the_shortest_is_very_different_three_times_is_not() -> None:
    assert not very_different([30, 90])
    assert very_different([30, 91])
    assert very_different([0, 1])
    assert not very_different([120])
    assert not very_different([])


@given(st.lists(st.integers(min_value=0, max_value=2000), min_size=2, max_size=8))
def test_very_different_is_exactly_some_pair_more_than_three_times_apart(days: list[int]) -> None:
    oracle = any(a > 3 * b for a in days for b in days)
    assert very_different(days) is oracle


def test_one_category_with_very_different_durations_is_flagged_naming_the_decisions() -> None:
    report = annual_review(
        2026,
        [
            _decision("a", 30),
            _decision("b", 183),
            _decision("c", 30, categories=frozenset({"unreasonable_persistence"})),
        ],
        as_of=date(2026, 7, 1),
    )
    assert codes(report.flags) == ["inconsistent_durations"]
    flag = report.flags[0]
    assert flag.category == "aggressive_abusive"
    assert flag.decision_ids == ("a", "b")


def test_only_decisions_of_the_financial_year_are_reported_oldest_first() -> None:
    report = annual_review(
        2026,
        [
            _decision("late", 30, decided_on=date(2027, 3, 31)),
            _decision("early", 30, decided_on=date(2026, 4, 1)),
            _decision("before", 30, decided_on=date(2026, 3, 31)),
            _decision("after", 30, decided_on=date(2027, 4, 1)),
        ],
        as_of=date(2026, 5, 1),
    )
    assert [d.id for d in report.decisions] == ["early", "late"]


def test_a_review_date_passed_with_no_review_is_flagged_unless_the_restriction_had_stopped() -> (
    None
):
    as_of = date(2026, 12, 2)
    assert codes(annual_review(2026, [_decision("a", 30)], as_of).flags) == ["missing_review"]
    stopped = _decision("a", 30, ended_on=date(2026, 7, 1))
    assert annual_review(2026, [stopped], as_of).flags == ()
    # Due today: not yet missing (a review is on time by the end of its due date).
    assert annual_review(2026, [_decision("a", 30)], date(2026, 12, 1)).flags == ()


def test_reviews_answer_the_date_before_them_and_a_late_one_is_flagged() -> None:
    reviews = review_chain(
        date(2026, 12, 1),
        [
            ("r2", date(2027, 6, 5), None, None),
            ("r1", date(2026, 12, 1), "continued", date(2027, 6, 1)),
        ],
    )
    assert [(r.id, r.due_on, r.on_time) for r in reviews] == [
        ("r1", date(2026, 12, 1), True),
        ("r2", date(2027, 6, 1), False),
    ]
    report = annual_review(2026, [_decision("a", 30, reviews=reviews)], date(2027, 7, 1))
    assert codes(report.flags) == ["late_review"]
    assert report.flags[0].review_id == "r2"


def test_an_appeal_decided_after_its_due_date_or_still_undecided_after_it_is_flagged() -> None:
    def appeal(ident: str, decided_on: date | None) -> AppealFacts:
        return AppealFacts(
            ident,
            date(2026, 6, 10),
            False,
            date(2026, 7, 8),
            AppealOutcome.UPHELD if decided_on else None,
            decided_on,
        )

    report = annual_review(
        2026,
        [
            _decision(
                "a",
                30,
                appeals=(
                    appeal("in-time", date(2026, 7, 8)),
                    appeal("late", date(2026, 7, 9)),
                    appeal("open", None),
                ),
            )
        ],
        as_of=date(2026, 7, 20),
    )
    assert [(f.code, f.appeal_id) for f in report.flags] == [
        (FlagCode.APPEAL_DECIDED_LATE, "late"),
        (FlagCode.APPEAL_DECIDED_LATE, "open"),
    ]
