"""Pure policy checks of an imposition's terms (docs/domain.md: formal, lifecycle; Restrictions a formal
decision can impose; where the councils differ)."""

from __future__ import annotations

import calendar
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.details import (
    ChannelLimitDetails,
    ContactQuotaDetails,
    MarkerDetails,
    SocialMediaBlockDetails,
    TelephoneScheduleDetails,
)
from app.domain.markers import Marker
from app.domain.policy.profile import PolicyProfile, load_profile
from app.domain.policy.terms import (
    add_months,
    check_terms,
    default_review_date,
    duplicates,
    latest_review_date,
    suspension_end,
)
from app.domain.vocabulary import INFORMAL_KINDS, Channel, MarkerKind
from app.settings import PolicyProfileName

FLINTSHIRE = load_profile(PolicyProfileName.FLINTSHIRE)
WREXHAM = load_profile(PolicyProfileName.WREXHAM)
FORMAL_KINDS = tuple(k for k in MarkerKind if k not in INFORMAL_KINDS)

DECIDED = datetime(2026, 3, 15, 12, tzinfo=UTC)
STARTS = DECIDED
ENDS = DECIDED + timedelta(days=30)
REVIEW = date(2026, 6, 15)


def fields(faults: list[tuple[str, str]]) -> list[str]:
    return [field for field, _ in faults]


# --- add_months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2025, 8, 31), 6, date(2026, 2, 28), id="31-aug-to-28-feb"),
        pytest.param(date(2027, 8, 31), 6, date(2028, 2, 29), id="31-aug-to-29-feb-leap"),
        pytest.param(date(2026, 12, 31), 2, date(2027, 2, 28), id="31-dec-to-28-feb"),
        pytest.param(date(2027, 12, 31), 2, date(2028, 2, 29), id="31-dec-to-29-feb-leap"),
        pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="31-jan-plus-1"),
        pytest.param(date(2026, 3, 31), 6, date(2026, 9, 30), id="31-mar-to-30-sep"),
        pytest.param(date(2026, 3, 15), 6, date(2026, 9, 15), id="same-day"),
        pytest.param(date(2026, 7, 1), 6, date(2027, 1, 1), id="into-next-year"),
        pytest.param(date(2026, 12, 15), 12, date(2027, 12, 15), id="a-year"),
        pytest.param(date(2026, 5, 20), 0, date(2026, 5, 20), id="zero"),
        pytest.param(date(2028, 2, 29), 12, date(2029, 2, 28), id="leap-day-plus-a-year"),
    ],
)
def test_add_months_examples(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@settings(max_examples=500)
@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)),
    st.integers(min_value=0, max_value=120),
)
def test_add_months_moves_exactly_n_calendar_months_clamping_to_month_end(
    day: date, months: int
) -> None:
    result = add_months(day, months)
    assert result >= day
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day
    if result.day < day.day:
        # Clamped: only when the target month is too short, and then to its last day.
        assert result.day == calendar.monthrange(result.year, result.month)[1]
    else:
        assert result.day == day.day


# --- review dates ----------------------------------------------------------------------------


def test_latest_review_date_is_six_months_after_the_decision() -> None:
    assert latest_review_date(FLINTSHIRE, DECIDED) == date(2026, 9, 15)
    assert latest_review_date(WREXHAM, DECIDED) == date(2026, 9, 15)


def test_latest_review_date_uses_the_london_date_of_the_decision() -> None:
    # 23:30 UTC on 31 August 2026 is 00:30 on 1 September in London.
    assert latest_review_date(FLINTSHIRE, datetime(2026, 8, 31, 23, 30, tzinfo=UTC)) == date(
        2027, 3, 1
    )
    # In winter London is UTC: 31 December 23:30 stays 31 December; +6 months is 30 June.
    assert latest_review_date(FLINTSHIRE, datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(
        2027, 6, 30
    )


def test_latest_review_date_clamps_to_the_end_of_february() -> None:
    assert latest_review_date(FLINTSHIRE, datetime(2025, 8, 31, 10, tzinfo=UTC)) == date(
        2026, 2, 28
    )


# --- check_terms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "kind"),
    [
        pytest.param(p, k, id=f"{p.name.value}-{k.value}")
        for p in (FLINTSHIRE, WREXHAM)
        for k in FORMAL_KINDS
        if k in p.kinds
    ],
)
def test_formal_restriction_with_good_terms_has_no_faults(
    profile: PolicyProfile, kind: MarkerKind
) -> None:
    assert check_terms(profile, kind, DECIDED, STARTS, ENDS, REVIEW) == []
    assert check_terms(profile, kind, DECIDED, STARTS, None, REVIEW) == []


@pytest.mark.parametrize("profile", [FLINTSHIRE, WREXHAM], ids=["flintshire", "wrexham"])
def test_review_on_the_last_allowed_day_is_fine(profile: PolicyProfile) -> None:
    latest = latest_review_date(profile, DECIDED)
    assert latest == date(2026, 9, 15)
    kind = MarkerKind.CHANNEL_LIMIT
    assert check_terms(profile, kind, DECIDED, STARTS, None, latest) == []


@pytest.mark.parametrize("profile", [FLINTSHIRE, WREXHAM], ids=["flintshire", "wrexham"])
def test_review_too_late_is_refused(profile: PolicyProfile) -> None:
    late = date(2026, 9, 16)
    faults = check_terms(profile, MarkerKind.CHANNEL_LIMIT, DECIDED, STARTS, None, late)
    assert fields(faults) == ["review_due"]
    assert "2026-09-15" in faults[0][1]
    assert "6 months" in faults[0][1]


def test_review_before_the_decision_is_refused() -> None:
    faults = check_terms(
        FLINTSHIRE, MarkerKind.CHANNEL_LIMIT, DECIDED, STARTS, None, date(2026, 3, 14)
    )
    assert fields(faults) == ["review_due"]
    assert "before the decision" in faults[0][1]


def test_review_on_the_day_of_the_decision_is_fine() -> None:
    assert (
        check_terms(FLINTSHIRE, MarkerKind.CHANNEL_LIMIT, DECIDED, STARTS, None, DECIDED.date())
        == []
    )


@pytest.mark.parametrize("kind", FORMAL_KINDS, ids=[k.value for k in FORMAL_KINDS])
def test_review_missing_for_a_formal_restriction_is_refused(kind: MarkerKind) -> None:
    faults = check_terms(WREXHAM, kind, DECIDED, STARTS, ENDS, None)
    assert ("review_due", "formal restrictions must give a review date") in faults
    assert fields(faults) == ["review_due"]


@pytest.mark.parametrize("profile", [FLINTSHIRE, WREXHAM], ids=["flintshire", "wrexham"])
def test_telephone_suspension_needs_no_review(profile: PolicyProfile) -> None:
    ends = STARTS + timedelta(days=1)
    faults = check_terms(profile, MarkerKind.TELEPHONE_SUSPENSION, DECIDED, STARTS, ends, None)
    assert faults == []


def test_telephone_suspension_review_is_not_checked() -> None:
    ends = STARTS + timedelta(days=1)
    far = date(2030, 1, 1)
    faults = check_terms(FLINTSHIRE, MarkerKind.TELEPHONE_SUSPENSION, DECIDED, STARTS, ends, far)
    assert faults == []


@pytest.mark.parametrize("gap", [timedelta(0), -timedelta(hours=1)], ids=["equal", "before"])
def test_ends_at_not_after_starts_at_is_refused(gap: timedelta) -> None:
    starts = DECIDED + timedelta(days=2)
    faults = check_terms(
        FLINTSHIRE, MarkerKind.CHANNEL_LIMIT, DECIDED, starts, starts + gap, REVIEW
    )
    assert ("ends_at", "must be after starts_at") in faults
    assert set(fields(faults)) == {"ends_at"}


def test_ends_at_already_past_is_refused() -> None:
    starts = DECIDED - timedelta(days=10)
    ends = DECIDED - timedelta(days=1)
    faults = check_terms(FLINTSHIRE, MarkerKind.CHANNEL_LIMIT, DECIDED, starts, ends, REVIEW)
    assert fields(faults) == ["ends_at"]
    assert "already past" in faults[0][1]


def test_ends_at_equal_to_the_decision_is_refused() -> None:
    starts = DECIDED - timedelta(days=1)
    faults = check_terms(FLINTSHIRE, MarkerKind.CHANNEL_LIMIT, DECIDED, starts, DECIDED, REVIEW)
    assert fields(faults) == ["ends_at"]


def test_contact_quota_is_refused_by_flintshire() -> None:
    faults = check_terms(FLINTSHIRE, MarkerKind.CONTACT_QUOTA, DECIDED, STARTS, None, REVIEW)
    assert fields(faults) == ["kind"]
    assert "Flintshire County Council" in faults[0][1]
    assert "contact_quota" in faults[0][1]


def test_contact_quota_is_allowed_by_wrexham() -> None:
    assert check_terms(WREXHAM, MarkerKind.CONTACT_QUOTA, DECIDED, STARTS, None, REVIEW) == []


@pytest.mark.parametrize("profile", [FLINTSHIRE, WREXHAM], ids=["flintshire", "wrexham"])
def test_telephone_suspension_without_end_is_refused(profile: PolicyProfile) -> None:
    # Wrexham has no default length, so the end must be given; Flintshire's 24-hour default
    # is filled in before the terms are checked, so an end is always present by then.
    faults = check_terms(profile, MarkerKind.TELEPHONE_SUSPENSION, DECIDED, STARTS, None, None)
    assert faults == [("ends_at", "a telephone suspension must say when it ends")]


def test_several_faults_are_all_reported() -> None:
    faults = check_terms(
        FLINTSHIRE,
        MarkerKind.CONTACT_QUOTA,
        DECIDED,
        DECIDED + timedelta(days=1),
        DECIDED - timedelta(days=1),
        None,
    )
    assert sorted(fields(faults)) == ["ends_at", "ends_at", "kind", "review_due"]


# --- profiles --------------------------------------------------------------------------------


def test_profiles_differ_only_where_the_policies_do() -> None:
    assert FLINTSHIRE.telephone_suspension_default == timedelta(hours=24)
    assert WREXHAM.telephone_suspension_default is None
    assert FLINTSHIRE.review_within_months == WREXHAM.review_within_months == 6
    assert FLINTSHIRE.appeal_working_days == WREXHAM.appeal_working_days == 20
    assert WREXHAM.kinds == frozenset(MarkerKind)
    assert FLINTSHIRE.kinds == frozenset(MarkerKind) - {MarkerKind.CONTACT_QUOTA}
    assert FLINTSHIRE.name is PolicyProfileName.FLINTSHIRE
    assert WREXHAM.name is PolicyProfileName.WREXHAM


@settings(max_examples=200)
@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.integers(min_value=0, max_value=200),
)
def test_review_within_six_london_months_is_accepted_and_outside_refused(
    decided: datetime, days_after: int
) -> None:
    decided_day = decided.astimezone(ZoneInfo("Europe/London")).date()
    latest = latest_review_date(WREXHAM, decided)
    assert latest == add_months(decided_day, 6)
    review = min(latest, decided_day + timedelta(days=days_after))
    kind = MarkerKind.CHANNEL_LIMIT
    assert check_terms(WREXHAM, kind, decided, decided, None, review) == []
    for outside in (latest + timedelta(days=1), decided_day - timedelta(days=1)):
        assert fields(check_terms(WREXHAM, kind, decided, decided, None, outside)) == ["review_due"]


# --- the default review date -----------------------------------------------------------------


@settings(max_examples=300)
@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    st.sampled_from(FORMAL_KINDS),
)
def test_an_omitted_review_date_is_the_latest_the_policy_allows(
    decided: datetime, kind: MarkerKind
) -> None:
    review = default_review_date(WREXHAM, kind, decided, None)
    assert review == add_months(decided.astimezone(ZoneInfo("Europe/London")).date(), 6)
    assert check_terms(WREXHAM, kind, decided, decided, None, review) == []


def test_a_given_review_date_is_kept_and_a_suspension_gets_none() -> None:
    given_date = date(2026, 5, 1)
    assert default_review_date(FLINTSHIRE, MarkerKind.CHANNEL_LIMIT, DECIDED, given_date) == (
        given_date
    )
    assert default_review_date(FLINTSHIRE, MarkerKind.TELEPHONE_SUSPENSION, DECIDED, None) is None


# --- the Flintshire suspension's default end ---------------------------------------------------


def test_a_defaulted_end_already_past_names_starts_at_not_ends_at() -> None:
    """The finding: starts_at over 24 h ago and no ends_at was refused as "body.ends_at:
    is already past", though the caller sent no ends_at."""
    starts = DECIDED - timedelta(hours=25)
    ends = suspension_end(FLINTSHIRE, starts)
    assert ends == starts + timedelta(hours=24)
    faults = check_terms(
        FLINTSHIRE,
        MarkerKind.TELEPHONE_SUSPENSION,
        DECIDED,
        starts,
        ends,
        None,
        end_defaulted=True,
    )
    assert fields(faults) == ["starts_at"]
    assert "24 hours" in faults[0][1] and "ends_at" in faults[0][1]
    assert suspension_end(WREXHAM, starts) is None


# --- duplicates --------------------------------------------------------------------------------


def _marker(kind: MarkerKind, **changes: Any) -> Marker:
    details: dict[MarkerKind, MarkerDetails] = {
        MarkerKind.TELEPHONE_SCHEDULE: TelephoneScheduleDetails.model_validate(
            {"windows": [{"days": ["tuesday"], "start": "10:00", "end": "12:00"}]}
        ),
        MarkerKind.CHANNEL_LIMIT: ChannelLimitDetails(channels=(Channel.EMAIL,)),
        MarkerKind.CONTACT_QUOTA: ContactQuotaDetails.model_validate(
            {"channel": "phone", "limit": 2, "period": "week"}
        ),
        MarkerKind.SOCIAL_MEDIA_BLOCK: SocialMediaBlockDetails(platform="Facebook", account="@a"),
    }
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "customer_ref": "C1",
        "kind": kind,
        "details": details[kind],
        "starts_at": DECIDED,
        "ends_at": None,
        "review_due": REVIEW,
        "services": None,
        "reason": "r",
        "created_by": "X",
        "created_at": DECIDED,
        "version": 1,
    }
    values.update(changes)
    return Marker(**values)


SCHEDULE = MarkerKind.TELEPHONE_SCHEDULE


@pytest.mark.parametrize(
    ("existing", "proposed", "duplicate"),
    [
        pytest.param({}, {}, True, id="same-kind-whole-council"),
        pytest.param({"services": ("Housing",)}, {}, True, id="whole-council-overlaps-housing"),
        pytest.param({}, {"services": ("Housing",)}, True, id="housing-overlaps-whole-council"),
        pytest.param(
            {"services": ("Housing", "Benefits")},
            {"services": ("benefits",)},
            True,
            id="services-compare-without-case",
        ),
        pytest.param(
            {"services": ("Housing",)}, {"services": ("Benefits",)}, False, id="other-services"
        ),
        pytest.param({"kind": MarkerKind.CHANNEL_LIMIT}, {}, False, id="other-kind"),
        pytest.param({"lifted_at": DECIDED}, {}, False, id="lifted"),
        pytest.param({"ends_at": DECIDED}, {}, False, id="ended"),
        pytest.param(
            {"starts_at": DECIDED + timedelta(days=10)},
            {"ends_at": DECIDED + timedelta(days=10)},
            False,
            id="scheduled-after-the-proposed-ends",
        ),
        pytest.param(
            {"starts_at": DECIDED + timedelta(days=10)},
            {"ends_at": DECIDED + timedelta(days=11)},
            True,
            id="scheduled-within-the-proposed",
        ),
        pytest.param(
            {"ends_at": DECIDED + timedelta(days=2)},
            {"starts_at": DECIDED + timedelta(days=2)},
            False,
            id="proposed-starts-when-the-existing-ends",
        ),
    ],
)
def test_duplicates(existing: dict[str, Any], proposed: dict[str, Any], duplicate: bool) -> None:
    kind = existing.pop("kind", SCHEDULE)
    old = _marker(kind, **existing)
    new = _marker(SCHEDULE, **proposed)
    assert duplicates([old], new, DECIDED) == ([old] if duplicate else [])


def test_quotas_on_other_channels_and_blocks_of_other_accounts_are_not_duplicates() -> None:
    quota = _marker(MarkerKind.CONTACT_QUOTA)
    email_quota = _marker(
        MarkerKind.CONTACT_QUOTA,
        details=ContactQuotaDetails.model_validate(
            {"channel": "email", "limit": 5, "period": "day"}
        ),
    )
    assert duplicates([quota], email_quota, DECIDED) == []
    assert duplicates([quota], _marker(MarkerKind.CONTACT_QUOTA), DECIDED) == [quota]
    block = _marker(MarkerKind.SOCIAL_MEDIA_BLOCK)
    other = SocialMediaBlockDetails(platform="Facebook", account="@b")
    same = SocialMediaBlockDetails(platform="facebook", account="@A")
    assert duplicates([block], _marker(MarkerKind.SOCIAL_MEDIA_BLOCK, details=other), DECIDED) == []
    assert duplicates([block], _marker(MarkerKind.SOCIAL_MEDIA_BLOCK, details=same), DECIDED) == [
        block
    ]
