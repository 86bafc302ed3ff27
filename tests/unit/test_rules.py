"""The contact check over markers (docs/domain.md: kinds, combining, next-allowed): pure
functions, no database and no HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.domain.contact_rules import (
    NO_CONTACTS,
    ContactLog,
    allowed_channels,
    check_contact,
    denies,
    next_allowed_at,
)
from app.domain.details import (
    BehaviourContractDetails,
    ChannelLimitDetails,
    ContactQuotaDetails,
    MarkerDetails,
    ReadAndFileDetails,
    ScheduleWindow,
    SinglePointOfContactDetails,
    SocialMediaBlockDetails,
    TelephoneScheduleDetails,
    TelephoneSuspensionDetails,
)
from app.domain.markers import Marker
from app.domain.vocabulary import (
    ALL_CHANNELS,
    Channel,
    Direction,
    MarkerKind,
    MarkerStatus,
    Outcome,
    QuotaPeriod,
    Weekday,
)
from app.wording.catalogue import render_reason
from tests.unit.oracles import DAY_NAMES, FALL_BACK, SPRING_FORWARD, oracle_open

LONDON = ZoneInfo("Europe/London")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
FIVE = timedelta(minutes=5)
INBOUND, OUTBOUND = Direction.INBOUND, Direction.OUTBOUND
PHONE, EMAIL, LETTER = Channel.PHONE, Channel.EMAIL, Channel.LETTER
SOCIAL, IN_PERSON, ONLINE = Channel.SOCIAL_MEDIA, Channel.IN_PERSON, Channel.ONLINE


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


SPOC = SinglePointOfContactDetails(
    officer_id="EMP-1042", name="Alex Jones", email="alex.jones@example.gov.uk"
)
_DEFAULT_DETAILS: dict[MarkerKind, MarkerDetails] = {
    MarkerKind.TELEPHONE_SUSPENSION: TelephoneSuspensionDetails(),
    MarkerKind.CHANNEL_LIMIT: ChannelLimitDetails(channels=(EMAIL, LETTER)),
    MarkerKind.TELEPHONE_SCHEDULE: TelephoneScheduleDetails(
        windows=(
            ScheduleWindow(days=(Weekday.TUESDAY, Weekday.THURSDAY), start="10:00", end="12:00"),
        )
    ),
    MarkerKind.SINGLE_POINT_OF_CONTACT: SPOC,
    MarkerKind.BEHAVIOUR_CONTRACT: BehaviourContractDetails(terms="Calls will be courteous."),
    MarkerKind.READ_AND_FILE: ReadAndFileDetails(),
    MarkerKind.CONTACT_QUOTA: ContactQuotaDetails(channel=PHONE, limit=2, period=QuotaPeriod.WEEK),
    MarkerKind.SOCIAL_MEDIA_BLOCK: SocialMediaBlockDetails(platform="Facebook", account="@x"),
}
_ids = iter(range(1, 1_000_000_000))


def marker(
    kind: MarkerKind,
    details: MarkerDetails | None = None,
    *,
    starts_at: datetime = EPOCH,
    ends_at: datetime | None = None,
    services: tuple[str, ...] | None = None,
    marker_id: str | None = None,
    **extra: Any,
) -> Marker:
    return Marker(
        id=marker_id or f"M-{next(_ids)}",
        customer_ref="CUST-1",
        kind=kind,
        details=details if details is not None else _DEFAULT_DETAILS[kind],
        starts_at=starts_at,
        ends_at=ends_at,
        review_due=None if kind is MarkerKind.TELEPHONE_SUSPENSION else date(2030, 1, 1),
        services=services,
        reason="Test reason.",
        created_by="CCSM-01",
        created_at=starts_at,
        version=1,
        **extra,
    )


def schedule(*windows: tuple[tuple[str, ...], str, str], **kw: Any) -> Marker:
    details = TelephoneScheduleDetails(
        windows=tuple(
            ScheduleWindow(days=tuple(Weekday(d) for d in days), start=s, end=e)
            for days, s, e in windows
        )
    )
    return marker(MarkerKind.TELEPHONE_SCHEDULE, details, **kw)


def suspension(ends_at: datetime | None, **kw: Any) -> Marker:
    return marker(MarkerKind.TELEPHONE_SUSPENSION, ends_at=ends_at, **kw)


def channel_limit(*channels: Channel, **kw: Any) -> Marker:
    return marker(MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=channels), **kw)


def quota(channel: Channel, limit: int, period: QuotaPeriod, **kw: Any) -> Marker:
    return marker(
        MarkerKind.CONTACT_QUOTA,
        ContactQuotaDetails(channel=channel, limit=limit, period=period),
        **kw,
    )


def ids(result_reasons: Sequence[Any]) -> set[str]:
    return {r.marker_id for r in result_reasons}


# Tuesday 3 November 2026 (GMT) and Thursday 5 November.
TUE, THU = (2026, 11, 3), (2026, 11, 5)
TUE_THU = ((("tuesday", "thursday"), "10:00", "12:00"),)


# --- suspensions, schedules and limits ---------------------------------------------------


def test_suspension_ending_before_window_gives_the_window_opening() -> None:
    markers = [suspension(london(*TUE, 9, 0)), schedule(*TUE_THU)]
    result = check_contact(markers, PHONE, london(2026, 11, 2, 15, 0))
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == london(*TUE, 10, 0)
    assert ids(result.reasons) == {m.id for m in markers}
    assert check_contact(markers, PHONE, london(*TUE, 9, 30)).next_allowed_at == london(*TUE, 10, 0)


def test_suspension_ending_inside_window_gives_its_end() -> None:
    markers = [suspension(london(*TUE, 11, 0)), schedule(*TUE_THU)]
    assert check_contact(markers, PHONE, london(*TUE, 8, 0)).next_allowed_at == london(*TUE, 11, 0)


def test_suspension_ending_after_window_gives_the_next_window() -> None:
    markers = [suspension(london(*TUE, 12, 30)), schedule(*TUE_THU)]
    assert check_contact(markers, PHONE, london(*TUE, 8, 0)).next_allowed_at == london(*THU, 10, 0)


def test_suspension_and_schedule_in_summer_time() -> None:
    markers = [suspension(london(2026, 7, 7, 9, 0)), schedule(*TUE_THU)]
    result = check_contact(markers, PHONE, london(2026, 7, 6, 15, 0))
    assert result.next_allowed_at == utc(2026, 7, 7, 9)  # 10:00 BST


def test_call_outside_window_is_denied_with_next_opening() -> None:
    result = check_contact([schedule(*TUE_THU)], PHONE, london(*TUE, 12, 0))
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == london(*THU, 10, 0)
    assert result.reasons[0].kind is MarkerKind.TELEPHONE_SCHEDULE
    assert PHONE not in (result.allowed_channels or ())


def test_call_inside_window_is_allowed_with_a_reason() -> None:
    result = check_contact([schedule(*TUE_THU)], PHONE, london(*TUE, 11, 0))
    assert result.outcome is Outcome.ALLOW
    assert result.next_allowed_at is None
    assert [r.kind for r in result.reasons] == [MarkerKind.TELEPHONE_SCHEDULE]
    assert result.allowed_channels is None


def test_schedule_only_concerns_the_phone() -> None:
    result = check_contact([schedule(*TUE_THU)], EMAIL, london(*TUE, 12, 0))
    assert result.outcome is Outcome.ALLOW
    assert result.reasons == ()


def test_suspension_denies_phone_only_until_its_end() -> None:
    ends = london(*TUE, 9, 0)
    markers = [suspension(ends)]
    before = check_contact(markers, PHONE, ends - timedelta(seconds=1))
    assert before.outcome is Outcome.DENY
    assert before.next_allowed_at == ends
    assert before.allowed_channels == tuple(c for c in ALL_CHANNELS if c is not PHONE)
    assert check_contact(markers, PHONE, ends).outcome is Outcome.ALLOW
    assert check_contact(markers, EMAIL, ends - MINUTE).outcome is Outcome.ALLOW


def test_open_ended_channel_limit_denying_phone_never_reopens() -> None:
    result = check_contact([channel_limit(EMAIL, LETTER)], PHONE, london(*TUE, 11, 0))
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at is None
    assert result.allowed_channels == (EMAIL, LETTER)


def test_channel_limit_allows_its_listed_channels() -> None:
    result = check_contact([channel_limit(EMAIL, LETTER)], EMAIL, london(*TUE, 11, 0))
    assert result.outcome is Outcome.ALLOW
    assert result.reasons == ()
    assert result.allowed_channels == (EMAIL, LETTER)


def test_channel_limit_applies_outbound_too() -> None:
    result = check_contact(
        [channel_limit(EMAIL, LETTER)], PHONE, london(*TUE, 11, 0), direction=OUTBOUND
    )
    assert result.outcome is Outcome.DENY


def test_time_limited_channel_limit_reopens_at_its_end() -> None:
    ends = utc(2027, 2, 1, 12)
    result = check_contact([channel_limit(EMAIL, ends_at=ends)], PHONE, london(*TUE, 11, 0))
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == ends


def test_time_limited_channel_limit_ending_in_two_years_reopens_at_its_end() -> None:
    ends = utc(2028, 11, 1)
    result = check_contact([channel_limit(EMAIL, ends_at=ends)], PHONE, utc(2026, 11, 3, 11))
    assert result.next_allowed_at == ends


def test_open_ended_limit_with_suspension_never_reopens() -> None:
    markers = [suspension(london(*TUE, 9, 0)), channel_limit(EMAIL)]
    assert check_contact(markers, PHONE, london(*TUE, 8, 0)).next_allowed_at is None


def test_limit_listing_phone_with_schedule_follows_the_schedule() -> None:
    markers = [channel_limit(PHONE, EMAIL), schedule(*TUE_THU)]
    result = check_contact(markers, PHONE, london(*TUE, 12, 0))
    assert result.next_allowed_at == london(*THU, 10, 0)
    assert result.allowed_channels == (EMAIL,)


def test_schedule_marker_ending_before_next_window_reopens_at_its_end() -> None:
    ends = london(*TUE, 15, 0)
    result = check_contact([schedule(*TUE_THU, ends_at=ends)], PHONE, london(*TUE, 12, 0))
    assert result.next_allowed_at == ends


def test_marker_starting_later_is_waited_out() -> None:
    # Suspended until Tuesday 09:00, then limited to email from Tuesday 08:00 to Wednesday.
    markers = [
        suspension(london(*TUE, 9, 0)),
        channel_limit(EMAIL, starts_at=london(*TUE, 8, 0), ends_at=london(2026, 11, 4, 0, 0)),
    ]
    result = check_contact(markers, PHONE, london(2026, 11, 2, 12, 0))
    assert result.next_allowed_at == london(2026, 11, 4, 0, 0)


def test_schedule_in_the_march_gap_reopens_the_sunday_after() -> None:
    markers = [schedule((("sunday",), "01:00", "02:00"))]
    result = check_contact(markers, PHONE, utc(2026, 3, 28, 12))
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == utc(2026, 4, 5, 0)


def test_schedule_reentered_by_the_october_change_reopens_then() -> None:
    markers = [schedule((("sunday",), "00:30", "01:10"))]
    at = utc(2026, 10, 25, 0, 20)  # 01:20 BST
    assert check_contact(markers, PHONE, utc(2026, 10, 25, 1, 0)).allowed  # 01:00 GMT
    assert check_contact(markers, PHONE, at).next_allowed_at == utc(2026, 10, 25, 1, 0)


# --- precedence ----------------------------------------------------------------------


def test_read_and_file_beats_route_to_contact_on_a_letter() -> None:
    spoc = marker(MarkerKind.SINGLE_POINT_OF_CONTACT)
    raf = marker(MarkerKind.READ_AND_FILE)
    result = check_contact([spoc, raf], LETTER, london(*TUE, 11, 0))
    assert result.outcome is Outcome.READ_AND_FILE
    assert result.route_to == SPOC
    assert ids(result.reasons) == {spoc.id, raf.id}
    assert result.next_allowed_at is None
    assert result.allowed_channels is None
    assert result.allowed


def test_route_to_contact_on_the_phone_with_read_and_file_in_force() -> None:
    spoc = marker(MarkerKind.SINGLE_POINT_OF_CONTACT)
    raf = marker(MarkerKind.READ_AND_FILE)
    result = check_contact([spoc, raf], PHONE, london(*TUE, 11, 0))
    assert result.outcome is Outcome.ROUTE_TO_CONTACT
    assert ids(result.reasons) == {spoc.id}
    assert result.route_to == SPOC


def test_outbound_single_point_of_contact_is_made_by_the_officer() -> None:
    result = check_contact(
        [marker(MarkerKind.SINGLE_POINT_OF_CONTACT)], LETTER, london(*TUE, 11, 0), OUTBOUND
    )
    assert result.outcome is Outcome.ROUTE_TO_CONTACT
    assert result.route_to == SPOC


def test_deny_beats_everything_and_every_applying_marker_is_a_reason() -> None:
    markers = [
        channel_limit(PHONE, EMAIL),
        marker(MarkerKind.SINGLE_POINT_OF_CONTACT),
        marker(MarkerKind.READ_AND_FILE),
        marker(MarkerKind.BEHAVIOUR_CONTRACT),
    ]
    result = check_contact(markers, LETTER, london(*TUE, 11, 0))
    assert result.outcome is Outcome.DENY
    assert not result.allowed
    assert ids(result.reasons) == {m.id for m in markers}
    assert result.route_to == SPOC
    assert result.allowed_channels == (PHONE, EMAIL)
    assert result.next_allowed_at is None


def test_behaviour_contract_allows_with_its_terms_as_reason() -> None:
    result = check_contact([marker(MarkerKind.BEHAVIOUR_CONTRACT)], PHONE, london(*TUE, 11, 0))
    assert result.outcome is Outcome.ALLOW
    assert len(result.reasons) == 1
    assert "Calls will be courteous." in render_reason(result.reasons[0])


def test_read_and_file_inbound_letter_and_email() -> None:
    raf = marker(MarkerKind.READ_AND_FILE)
    for channel in (LETTER, EMAIL):
        result = check_contact([raf], channel, london(*TUE, 11, 0))
        assert result.outcome is Outcome.READ_AND_FILE
        assert result.route_to is None


def test_read_and_file_limited_to_letters_leaves_email_alone() -> None:
    raf = marker(MarkerKind.READ_AND_FILE, ReadAndFileDetails(channels=(LETTER,)))
    result = check_contact([raf], EMAIL, london(*TUE, 11, 0))
    assert result.outcome is Outcome.ALLOW
    assert result.reasons == ()


def test_read_and_file_outbound_is_allow_with_a_reason() -> None:
    raf = marker(MarkerKind.READ_AND_FILE)
    result = check_contact([raf], LETTER, london(*TUE, 11, 0), OUTBOUND)
    assert result.outcome is Outcome.ALLOW
    assert [r.kind for r in result.reasons] == [MarkerKind.READ_AND_FILE]
    assert result.reasons[0].marker_id == raf.id


# --- contact quota -------------------------------------------------------------------


def contacts_log(channel: Channel, *times: datetime) -> ContactLog:
    return {channel: sorted(times)}


def test_quota_reached_this_week_denies_until_next_monday() -> None:
    q = quota(PHONE, 2, QuotaPeriod.WEEK)
    log = contacts_log(PHONE, london(2026, 11, 2, 9, 0), london(*TUE, 14, 0))
    result = check_contact([q], PHONE, london(2026, 11, 4, 10, 0), contacts=log)
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == london(2026, 11, 9, 0, 0)
    assert result.allowed_channels == tuple(c for c in ALL_CHANNELS if c is not PHONE)


def test_quota_counts_only_the_current_london_week() -> None:
    q = quota(PHONE, 2, QuotaPeriod.WEEK)
    # Sunday 1 November 23:59 is last week; Tuesday is this week.
    log = contacts_log(PHONE, london(2026, 11, 1, 23, 59), london(*TUE, 14, 0))
    result = check_contact([q], PHONE, london(2026, 11, 4, 10, 0), contacts=log)
    assert result.outcome is Outcome.ALLOW
    assert render_reason(result.reasons[0]).startswith("1 of 2")


def test_quota_counts_a_contact_at_london_monday_0030_in_summer_time() -> None:
    q = quota(PHONE, 1, QuotaPeriod.WEEK)
    # Sunday 23:30 UTC is Monday 00:30 BST: it belongs to the week of Monday 20 July.
    log = contacts_log(PHONE, utc(2026, 7, 19, 23, 30))
    result = check_contact([q], PHONE, utc(2026, 7, 22, 12), contacts=log)
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == utc(2026, 7, 26, 23)  # Monday 27 July 00:00 BST


@pytest.mark.parametrize(
    ("monday", "at", "next_monday_utc"),
    [
        # Week of 19 October 2026 starts in BST and ends in GMT: Monday 26th 00:00 GMT.
        pytest.param((2026, 10, 19), utc(2026, 10, 24, 12), utc(2026, 10, 26), id="into-gmt"),
        # Week of 23 March 2026 starts in GMT and ends in BST: Monday 30th 00:00 BST.
        pytest.param((2026, 3, 23), utc(2026, 3, 29, 12), utc(2026, 3, 29, 23), id="into-bst"),
    ],
)
def test_quota_across_a_clock_change_reopens_next_monday_london(
    monday: tuple[int, int, int], at: datetime, next_monday_utc: datetime
) -> None:
    q = quota(PHONE, 2, QuotaPeriod.WEEK)
    log = contacts_log(PHONE, london(*monday, 0, 0), london(*monday, 18, 0))
    result = check_contact([q], PHONE, at, contacts=log)
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == next_monday_utc


def test_quota_does_not_limit_outbound_contact() -> None:
    q = quota(PHONE, 1, QuotaPeriod.WEEK)
    log = contacts_log(PHONE, london(2026, 11, 2, 9, 0))
    result = check_contact([q], PHONE, london(2026, 11, 4, 10, 0), OUTBOUND, contacts=log)
    assert result.outcome is Outcome.ALLOW
    assert result.reasons == ()
    assert result.allowed_channels is None


def test_quota_on_phone_does_not_limit_email() -> None:
    q = quota(PHONE, 1, QuotaPeriod.WEEK)
    log = contacts_log(PHONE, london(2026, 11, 2, 9, 0))
    result = check_contact([q], EMAIL, london(2026, 11, 4, 10, 0), contacts=log)
    assert result.outcome is Outcome.ALLOW
    assert result.reasons == ()


def test_daily_quota_reopens_at_london_midnight() -> None:
    q = quota(EMAIL, 1, QuotaPeriod.DAY)
    log = contacts_log(EMAIL, utc(2026, 7, 7, 8))
    result = check_contact([q], EMAIL, utc(2026, 7, 7, 12), contacts=log)
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == utc(2026, 7, 7, 23)


def test_monthly_quota_reopens_on_the_first() -> None:
    q = quota(PHONE, 1, QuotaPeriod.MONTH)
    log = contacts_log(PHONE, utc(2026, 12, 2))
    result = check_contact([q], PHONE, utc(2026, 12, 20), contacts=log)
    assert result.next_allowed_at == utc(2027, 1, 1)


def test_quota_reached_with_schedule_reopens_at_the_first_window_of_next_week() -> None:
    markers = [quota(PHONE, 1, QuotaPeriod.WEEK), schedule(*TUE_THU)]
    log = contacts_log(PHONE, london(*TUE, 10, 30))
    result = check_contact(markers, PHONE, london(*THU, 10, 30), contacts=log)
    assert result.outcome is Outcome.DENY
    assert result.next_allowed_at == london(2026, 11, 10, 10, 0)


# --- social media, scope, time ------------------------------------------------------------


def test_social_media_block_denies_only_social_media() -> None:
    block = marker(MarkerKind.SOCIAL_MEDIA_BLOCK)
    at = london(*TUE, 11, 0)
    for direction in (INBOUND, OUTBOUND):
        denied = check_contact([block], SOCIAL, at, direction)
        assert denied.outcome is Outcome.DENY
        assert denied.next_allowed_at is None
        assert denied.allowed_channels == tuple(c for c in ALL_CHANNELS if c is not SOCIAL)
    for channel in ALL_CHANNELS:
        if channel is not SOCIAL:
            assert check_contact([block], channel, at).outcome is Outcome.ALLOW


def test_service_scope_is_case_insensitive() -> None:
    scoped = suspension(london(*TUE, 18, 0), services=("Housing",))
    at = london(*TUE, 11, 0)
    assert scoped.covers("housing")
    assert scoped.covers("HOUSING")
    assert scoped.covers(None)
    assert not scoped.covers("Council Tax")
    assert check_contact([scoped], PHONE, at, service="housing").outcome is Outcome.DENY
    other = check_contact([scoped], PHONE, at, service="Council Tax")
    assert other.outcome is Outcome.ALLOW
    assert other.reasons == ()
    assert other.allowed_channels is None
    assert check_contact([scoped], PHONE, at).outcome is Outcome.DENY


def test_council_wide_marker_covers_every_service() -> None:
    wide = suspension(london(*TUE, 18, 0))
    assert wide.covers("Council Tax")
    assert check_contact([wide], PHONE, london(*TUE, 11, 0), service="Council Tax").outcome is (
        Outcome.DENY
    )


def test_route_to_only_from_a_covering_spoc() -> None:
    spoc = marker(MarkerKind.SINGLE_POINT_OF_CONTACT, services=("Housing",))
    at = london(*TUE, 11, 0)
    assert check_contact([spoc], PHONE, at, service="Housing").route_to == SPOC
    assert check_contact([spoc], PHONE, at, service="Waste").route_to is None


def test_lifted_marker_does_not_apply() -> None:
    lifted = channel_limit(
        EMAIL, lifted_at=london(2026, 11, 2, 9, 0), lifted_by="CCSM-01", lift_reason="Reviewed"
    )
    at = london(*TUE, 11, 0)
    result = check_contact([lifted], PHONE, at)
    assert result.outcome is Outcome.ALLOW
    assert result.reasons == ()
    assert result.allowed_channels is None
    assert lifted.status(at) is MarkerStatus.LIFTED


def test_marker_not_yet_started_does_not_apply() -> None:
    starts = london(2026, 11, 4, 9, 0)
    later = suspension(starts + timedelta(days=1), starts_at=starts)
    at = london(*TUE, 11, 0)
    assert check_contact([later], PHONE, at).outcome is Outcome.ALLOW
    assert later.status(at) is MarkerStatus.SCHEDULED
    assert check_contact([later], PHONE, starts).outcome is Outcome.DENY
    assert later.status(starts) is MarkerStatus.ACTIVE


def test_marker_end_is_exclusive() -> None:
    ends = london(*TUE, 11, 0)
    m = suspension(ends)
    assert m.in_force(ends - timedelta(microseconds=1))
    assert not m.in_force(ends)
    assert m.status(ends) is MarkerStatus.EXPIRED
    assert check_contact([m], PHONE, ends).outcome is Outcome.ALLOW


def test_allowed_channels_is_none_when_nothing_denies() -> None:
    at = london(*TUE, 11, 0)
    assert allowed_channels([], at, INBOUND, NO_CONTACTS) is None
    harmless = [
        marker(MarkerKind.SINGLE_POINT_OF_CONTACT),
        marker(MarkerKind.BEHAVIOUR_CONTRACT),
        marker(MarkerKind.READ_AND_FILE),
        schedule(*TUE_THU),  # open at Tuesday 11:00
    ]
    assert allowed_channels(harmless, at, INBOUND, NO_CONTACTS) is None
    assert check_contact(harmless, PHONE, at).allowed_channels is None


def test_no_markers_allows_everything() -> None:
    result = check_contact([], PHONE, london(*TUE, 11, 0))
    assert result.outcome is Outcome.ALLOW
    assert result.reasons == ()
    assert result.next_allowed_at is None
    assert result.allowed_channels is None
    assert result.route_to is None


def test_next_allowed_at_is_none_when_open_now() -> None:
    assert (
        next_allowed_at([suspension(london(*TUE, 9, 0))], EMAIL, london(*TUE, 8, 0), INBOUND, {})
        is None
    )


def test_denies_ignores_time_in_force() -> None:
    # `denies` is the per-marker rule; being in force is checked separately.
    ended = suspension(london(2026, 11, 2, 9, 0))
    assert denies(ended, PHONE, london(*TUE, 11, 0), INBOUND, NO_CONTACTS)
    assert not denies(ended, EMAIL, london(*TUE, 11, 0), INBOUND, NO_CONTACTS)


# --- property: next_allowed_at ------------------------------------------------------------

SEARCH = timedelta(days=8)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def oracle_denied(markers: Sequence[Marker], channel: Channel, at: datetime) -> bool:
    """Independent reading of the table for suspensions, channel limits and schedules."""
    for m in markers:
        if not (m.starts_at <= at and (m.ends_at is None or at < m.ends_at)):
            continue
        details = m.details
        if m.kind is MarkerKind.TELEPHONE_SUSPENSION and channel is PHONE:
            return True
        if isinstance(details, ChannelLimitDetails) and channel not in details.channels:
            return True
        if (
            isinstance(details, TelephoneScheduleDetails)
            and channel is PHONE
            and not oracle_open(details.windows, at)
        ):
            return True
    return False


def _floor_five(instant: datetime) -> datetime:
    return instant - timedelta(
        minutes=instant.minute % 5, seconds=instant.second, microseconds=instant.microsecond
    )


@st.composite
def schedule_windows(draw: st.DrawFn) -> ScheduleWindow:
    grid = st.one_of(
        st.integers(min_value=0, max_value=287).map(lambda i: i * 5),
        st.sampled_from([0, 30, 60, 90, 120, 540, 600, 720, 1380]),
    )
    start = draw(grid)
    end = draw(
        st.one_of(grid, st.just(1440)).filter(lambda e: e != start and not (start == 0 == e))
    )
    days = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True))
    return ScheduleWindow(
        days=tuple(Weekday(d) for d in days), start=_clock(start), end=_clock(end)
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Marker], Channel, datetime]:
    at = draw(
        st.one_of(
            st.datetimes(
                min_value=datetime(2025, 1, 1),
                max_value=datetime(2027, 12, 20),
                timezones=st.just(UTC),
            ),
            st.builds(
                lambda anchor, minutes, seconds: (
                    anchor + timedelta(minutes=minutes, seconds=seconds)
                ),
                st.sampled_from((*FALL_BACK, *SPRING_FORWARD)),
                st.integers(min_value=-3 * 1440, max_value=3 * 1440),
                st.sampled_from([0, 0, 1, 59]),
            ),
        )
    )
    base = _floor_five(at)
    steps = st.integers(min_value=-2000, max_value=2000).map(lambda k: base + k * FIVE)

    def span(open_ended: bool) -> tuple[datetime, datetime | None]:
        starts = draw(steps)
        if open_ended and draw(st.booleans()):
            return starts, None
        return starts, starts + draw(st.integers(min_value=1, max_value=3000)) * FIVE

    markers: list[Marker] = []
    for kind in draw(
        st.lists(
            st.sampled_from(
                [
                    MarkerKind.TELEPHONE_SUSPENSION,
                    MarkerKind.TELEPHONE_SCHEDULE,
                    MarkerKind.CHANNEL_LIMIT,
                ]
            ),
            min_size=1,
            max_size=4,
        )
    ):
        starts, ends = span(open_ended=kind is not MarkerKind.TELEPHONE_SUSPENSION)
        details: MarkerDetails
        if kind is MarkerKind.TELEPHONE_SCHEDULE:
            windows = draw(st.lists(schedule_windows(), min_size=1, max_size=2))
            details = TelephoneScheduleDetails(windows=tuple(windows))
        elif kind is MarkerKind.CHANNEL_LIMIT:
            channels = draw(
                st.lists(st.sampled_from(ALL_CHANNELS), min_size=1, max_size=3, unique=True)
            )
            details = ChannelLimitDetails(channels=tuple(channels))
        else:
            details = TelephoneSuspensionDetails()
        markers.append(marker(kind, details, starts_at=starts, ends_at=ends))
    channel = draw(st.sampled_from([PHONE, PHONE, EMAIL]))
    return markers, channel, at


def _first_allowed_on_grid(
    markers: Sequence[Marker], channel: Channel, at: datetime, until: datetime
) -> datetime | None:
    candidate = _floor_five(at) + FIVE
    while candidate < until:
        if not oracle_denied(markers, channel, candidate):
            return candidate
        candidate += FIVE
    return None


@settings(max_examples=150, deadline=None)
@example(([schedule((("sunday",), "00:30", "01:10"))], PHONE, utc(2026, 10, 25, 0, 20)))
@example(
    (
        [suspension(utc(2026, 3, 28, 12)), schedule((("sunday",), "01:00", "02:00"))],
        PHONE,
        utc(2026, 3, 28, 11),
    )
)
@given(scenarios())
def test_next_allowed_at_is_the_first_allowed_instant(
    scenario: tuple[list[Marker], Channel, datetime],
) -> None:
    markers, channel, at = scenario
    result = next_allowed_at(markers, channel, at, INBOUND, NO_CONTACTS)
    now = check_contact(markers, channel, at)
    assert now.allowed == (not oracle_denied(markers, channel, at))
    if now.allowed:
        assert result is None
        assert now.next_allowed_at is None
        return
    assert now.next_allowed_at == result
    # No allowed instant before the answer (brute force on the 5-minute grid every opening
    # falls on, within a bounded search).
    horizon = at + SEARCH if result is None else min(result, at + SEARCH)
    earlier = _first_allowed_on_grid(markers, channel, at, horizon)
    assert earlier is None, f"allowed at {earlier}, before {result}"
    if result is None:
        return
    assert result > at
    later = check_contact(markers, channel, result)
    assert later.allowed
    assert later.next_allowed_at is None
    assert not oracle_denied(markers, channel, result)
    if result - MINUTE >= at:
        assert check_contact(markers, channel, result - MINUTE).outcome is Outcome.DENY
