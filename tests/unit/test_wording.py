"""The words a call handler reads: the summaries and the reasons of the contact check.

The English must stay byte-identical to the answers the service gave before reasons became
codes, so the properties below compare the rendering with a frozen copy of that English
(`_Oracle`), over markers of every kind, every channel and both directions."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.contact_rules import (
    ContactLog,
    Reason,
    ReasonCode,
    ReasonParams,
    check_contact,
    denies,
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
from app.domain.time import periods
from app.domain.vocabulary import (
    ALL_CHANNELS,
    Channel,
    Direction,
    Language,
    MarkerKind,
    QuotaPeriod,
    Weekday,
)
from app.wording.catalogue import CATALOGUES, render_reason, render_summary
from tests.unit.oracles import FALL_BACK, SPRING_FORWARD

LONDON = ZoneInfo("Europe/London")


def rendered_reasons(
    markers: Sequence[Marker],
    channel: Channel,
    at: datetime,
    direction: Direction,
    service: str | None,
    contacts: ContactLog,
) -> list[tuple[str, MarkerKind, str]]:
    result = check_contact(markers, channel, at, direction, service, contacts)
    return [(r.marker_id, r.kind, render_reason(r, Language.EN)) for r in result.reasons]


def rendered_summary(marker: Marker) -> str:
    return render_summary(marker, Language.EN)


class _Oracle:
    """Today's English, frozen: a copy of the f-strings of app/restrictions/wording.py and
    app/contact_check/rules.py at commit 4f95b16, before reasons became codes. It is the
    definition of "byte-identical"; never edit it to make a test pass."""

    CHANNEL_WORDS: Mapping[Channel, str] = {
        Channel.PHONE: "phone",
        Channel.EMAIL: "email",
        Channel.LETTER: "letter",
        Channel.IN_PERSON: "in person",
        Channel.ONLINE: "online",
        Channel.SOCIAL_MEDIA: "social media",
    }
    PERIOD_WORDS: Mapping[QuotaPeriod, str] = {
        QuotaPeriod.DAY: "per day",
        QuotaPeriod.WEEK: "per week (Monday to Sunday)",
        QuotaPeriod.MONTH: "per calendar month",
    }

    @staticmethod
    def join_words(words: list[str]) -> str:
        if len(words) <= 1:
            return "".join(words)
        return ", ".join(words[:-1]) + " and " + words[-1]

    @classmethod
    def say_instant(cls, instant: datetime) -> str:
        local = instant.astimezone(LONDON)
        return f"{local:%H:%M} on {local:%A} {local.day} {local:%B %Y}"

    @staticmethod
    def say_date(day: date) -> str:
        return f"{day.day} {day:%B %Y}"

    @classmethod
    def say_window(cls, window: ScheduleWindow) -> str:
        days = cls.join_words([d.value.capitalize() for d in window.days])
        end = "midnight" if window.end == "24:00" else window.end
        return f"{days} {window.start} to {end}"

    @classmethod
    def say_schedule(cls, details: TelephoneScheduleDetails) -> str:
        text = "Telephone calls are taken only on " + "; ".join(
            cls.say_window(w) for w in details.windows
        )
        if details.max_call_minutes is not None:
            text += f", for up to {details.max_call_minutes} minutes a call"
        return text

    @staticmethod
    def say_officer(officer: SinglePointOfContactDetails) -> str:
        ways = [w for w in (officer.phone, officer.email) if w]
        return f"{officer.name} (officer {officer.officer_id}, {' or '.join(ways)})"

    @classmethod
    def say_channels(cls, channels: Sequence[Channel]) -> str:
        return cls.join_words([cls.CHANNEL_WORDS[c] for c in channels])

    @classmethod
    def summary(cls, marker: Marker) -> str:
        details = marker.details
        match marker.kind:
            case MarkerKind.TELEPHONE_SUSPENSION:
                text = "Telephone contact is suspended"
            case MarkerKind.CHANNEL_LIMIT:
                assert isinstance(details, ChannelLimitDetails)
                text = f"Contact is limited to {cls.say_channels(details.channels)}"
            case MarkerKind.TELEPHONE_SCHEDULE:
                assert isinstance(details, TelephoneScheduleDetails)
                text = cls.say_schedule(details)
            case MarkerKind.SINGLE_POINT_OF_CONTACT:
                assert isinstance(details, SinglePointOfContactDetails)
                text = f"All contact goes to {cls.say_officer(details)}"
            case MarkerKind.BEHAVIOUR_CONTRACT:
                assert isinstance(details, BehaviourContractDetails)
                signed = (
                    f", signed on {cls.say_date(details.signed_on)}" if details.signed_on else ""
                )
                text = (
                    f"A behaviour contract is in place{signed}. Terms: {details.terms.rstrip('.')}"
                )
            case MarkerKind.READ_AND_FILE:
                assert isinstance(details, ReadAndFileDetails)
                text = (
                    f"Correspondence by {cls.say_channels(details.channels)} is read for new "
                    "issues, then filed without acknowledgement"
                )
            case MarkerKind.CONTACT_QUOTA:
                assert isinstance(details, ContactQuotaDetails)
                text = (
                    f"At most {details.limit} {cls.CHANNEL_WORDS[details.channel]} contacts "
                    f"{cls.PERIOD_WORDS[details.period]}"
                )
            case MarkerKind.SOCIAL_MEDIA_BLOCK:
                assert isinstance(details, SocialMediaBlockDetails)
                text = f"Blocked on {details.platform} (account {details.account})"
        if marker.ends_at is not None:
            text += f", until {cls.say_instant(marker.ends_at)}"
        text += "."
        if marker.services is not None:
            text += f" Applies to {cls.join_words(list(marker.services))} only."
        return text

    @staticmethod
    def count_in_period(contacts: ContactLog, quota: ContactQuotaDetails, at: datetime) -> int:
        start, end = periods.period_bounds(at, quota.period)
        times = contacts.get(quota.channel, ())
        return bisect_left(times, end) - bisect_left(times, start)

    @classmethod
    def message(
        cls,
        marker: Marker,
        channel: Channel,
        at: datetime,
        direction: Direction,
        contacts: ContactLog,
    ) -> str | None:
        details = marker.details
        channel_word = cls.CHANNEL_WORDS[channel]
        if denies(marker, channel, at, direction, contacts):
            return cls.denial_message(marker, channel)
        match marker.kind:
            case MarkerKind.TELEPHONE_SCHEDULE if channel is Channel.PHONE:
                assert isinstance(details, TelephoneScheduleDetails)
                return f"Within the agreed call times. {cls.say_schedule(details)}."
            case MarkerKind.CONTACT_QUOTA if direction is Direction.INBOUND:
                assert isinstance(details, ContactQuotaDetails)
                if details.channel is not channel:
                    return None
                used = cls.count_in_period(contacts, details, at)
                return (
                    f"{used} of {details.limit} {channel_word} contacts "
                    f"{cls.PERIOD_WORDS[details.period]} used."
                )
            case MarkerKind.SINGLE_POINT_OF_CONTACT:
                assert isinstance(details, SinglePointOfContactDetails)
                verb = "Route to" if direction is Direction.INBOUND else "Contact is made only by"
                return f"{verb} {cls.say_officer(details)}."
            case MarkerKind.BEHAVIOUR_CONTRACT:
                assert isinstance(details, BehaviourContractDetails)
                return f"Behaviour contract in place. Terms: {details.terms}"
            case MarkerKind.READ_AND_FILE:
                assert isinstance(details, ReadAndFileDetails)
                if channel not in details.channels:
                    return None
                if direction is Direction.OUTBOUND:
                    return (
                        f"Do not acknowledge the customer's {channel_word}s; other "
                        f"{channel_word}s may be sent."
                    )
                return (
                    f"Read this {channel_word} for new issues, then file it without "
                    "acknowledgement."
                )
            case _:
                return None

    @classmethod
    def denial_message(cls, marker: Marker, channel: Channel) -> str:
        details = marker.details
        until = f" until {cls.say_instant(marker.ends_at)}" if marker.ends_at else ""
        match marker.kind:
            case MarkerKind.TELEPHONE_SUSPENSION:
                return f"Telephone contact is suspended{until}."
            case MarkerKind.CHANNEL_LIMIT:
                assert isinstance(details, ChannelLimitDetails)
                return (
                    f"Contact is limited to {cls.say_channels(details.channels)}{until}; "
                    f"{cls.CHANNEL_WORDS[channel]} is not one of them."
                )
            case MarkerKind.TELEPHONE_SCHEDULE:
                assert isinstance(details, TelephoneScheduleDetails)
                return f"Outside the agreed call times. {cls.say_schedule(details)}."
            case MarkerKind.CONTACT_QUOTA:
                assert isinstance(details, ContactQuotaDetails)
                return (
                    f"The limit of {details.limit} {cls.CHANNEL_WORDS[channel]} contacts "
                    f"{cls.PERIOD_WORDS[details.period]} has been reached."
                )
            case _:
                assert isinstance(details, SocialMediaBlockDetails)
                return f"Social media contact is blocked ({details.platform}){until}."

    @classmethod
    def reasons(
        cls,
        markers: Sequence[Marker],
        channel: Channel,
        at: datetime,
        direction: Direction,
        service: str | None,
        contacts: ContactLog,
    ) -> list[tuple[str, MarkerKind, str]]:
        found = []
        for marker in markers:
            if not marker.covers(service) or not marker.in_force(at):
                continue
            message = cls.message(marker, channel, at, direction, contacts)
            if message is not None:
                found.append((marker.id, marker.kind, message))
        return found


# --- markers of every kind -------------------------------------------------------------

# Free text as the API stores it (stripped, not empty), with the characters that matter to
# the wording: full stops (a summary drops the terms' last ones), brackets, Welsh letters.
names = st.text(alphabet="aAbz Ŵŷ.'()-@&", min_size=1, max_size=12).map(str.strip).filter(bool)
terms = st.one_of(names, names.map(lambda t: t + "."), names.map(lambda t: t + "..."))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def windows(draw: st.DrawFn) -> ScheduleWindow:
    start_minutes = draw(st.integers(min_value=0, max_value=1439))
    # An end at 24:00 is said as midnight; an end before the start runs past midnight.
    end_minutes = (start_minutes + draw(st.integers(min_value=1, max_value=1439))) % 1440
    start, end = _clock(start_minutes), _clock(end_minutes)
    if end == "00:00" and draw(st.booleans()):
        end = "24:00"
    days = draw(st.lists(st.sampled_from(list(Weekday)), min_size=1, max_size=7, unique=True))
    return ScheduleWindow(days=tuple(days), start=start, end=end)


@st.composite
def officers(draw: st.DrawFn) -> SinglePointOfContactDetails:
    phone = st.sampled_from(["01352 702000", "+44 (0)1978 292000", "07700-900123"])
    email = st.sampled_from(["alex.jones@example.gov.uk", "a@b.cy"])
    ways = draw(
        st.one_of(st.tuples(phone, st.none()), st.tuples(st.none(), email), st.tuples(phone, email))
    )
    officer_id = draw(st.sampled_from(["EMP-1042", "CCSM-01"]))
    return SinglePointOfContactDetails(
        officer_id=officer_id, name=draw(names), phone=ways[0], email=ways[1]
    )


channel_lists = st.lists(st.sampled_from(ALL_CHANNELS), min_size=1, max_size=6, unique=True)
DETAILS: Mapping[MarkerKind, st.SearchStrategy[MarkerDetails]] = {
    MarkerKind.TELEPHONE_SUSPENSION: st.just(TelephoneSuspensionDetails()),
    MarkerKind.CHANNEL_LIMIT: channel_lists.map(lambda c: ChannelLimitDetails(channels=tuple(c))),
    MarkerKind.TELEPHONE_SCHEDULE: st.builds(
        TelephoneScheduleDetails,
        windows=st.lists(windows(), min_size=1, max_size=3).map(tuple),
        max_call_minutes=st.one_of(st.none(), st.integers(min_value=1, max_value=240)),
    ),
    MarkerKind.SINGLE_POINT_OF_CONTACT: officers(),
    MarkerKind.BEHAVIOUR_CONTRACT: st.builds(
        BehaviourContractDetails,
        terms=terms,
        signed_on=st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 12, 31))),
    ),
    MarkerKind.READ_AND_FILE: st.lists(
        st.sampled_from([Channel.LETTER, Channel.EMAIL]), min_size=1, max_size=2, unique=True
    ).map(lambda c: ReadAndFileDetails(channels=tuple(c))),
    MarkerKind.CONTACT_QUOTA: st.builds(
        ContactQuotaDetails,
        channel=st.sampled_from(ALL_CHANNELS),
        limit=st.integers(min_value=1, max_value=4),
        period=st.sampled_from(list(QuotaPeriod)),
    ),
    MarkerKind.SOCIAL_MEDIA_BLOCK: st.builds(
        SocialMediaBlockDetails, platform=names, account=names
    ),
}

# Around the clock changes as well as anywhere in three years, so both GMT and BST (and
# the repeated October hour) are said.
instants = st.one_of(
    st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.builds(
        lambda anchor, minutes: anchor + timedelta(minutes=minutes),
        st.sampled_from((*FALL_BACK, *SPRING_FORWARD)),
        st.integers(min_value=-180, max_value=180),
    ),
)
SERVICES = ("housing", "Council Tax", "waste")


@st.composite
def markers_at(draw: st.DrawFn, at: datetime) -> Marker:
    kind = draw(st.sampled_from(list(MarkerKind)))
    # Mostly in force at `at`, sometimes not yet or no longer.
    starts_at = at - timedelta(minutes=draw(st.integers(min_value=-60, max_value=100_000)))
    ends_at = draw(
        st.one_of(
            st.none(),
            st.integers(min_value=-60, max_value=200_000).map(lambda m: at + timedelta(minutes=m)),
        )
    )
    services = draw(
        st.one_of(
            st.none(), st.lists(st.sampled_from(SERVICES), min_size=1, unique=True).map(tuple)
        )
    )
    return Marker(
        id=f"M-{draw(st.integers(min_value=1, max_value=10**6))}",
        customer_ref="CUST-1",
        kind=kind,
        details=draw(DETAILS[kind]),
        starts_at=starts_at,
        ends_at=ends_at,
        review_due=None if kind is MarkerKind.TELEPHONE_SUSPENSION else date(2030, 1, 1),
        services=services,
        reason="Test reason.",
        created_by="CCSM-01",
        created_at=starts_at,
        version=1,
    )


@st.composite
def questions(
    draw: st.DrawFn,
) -> tuple[list[Marker], Channel, datetime, Direction, str | None, ContactLog]:
    at = draw(instants)
    markers = draw(st.lists(markers_at(at), min_size=1, max_size=5))
    channel = draw(st.sampled_from(ALL_CHANNELS))
    direction = draw(st.sampled_from(list(Direction)))
    service = draw(st.one_of(st.none(), st.sampled_from(SERVICES)))
    recent = st.integers(min_value=0, max_value=60 * 24 * 40).map(
        lambda m: at - timedelta(minutes=m)
    )
    contacts = {
        c: sorted(draw(st.lists(recent, max_size=5)))
        for c in draw(st.lists(st.sampled_from(ALL_CHANNELS), unique=True))
    }
    return markers, channel, at, direction, service, contacts


# --- byte-identical to today's English ---------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(questions())
def test_reasons_read_exactly_as_before_reasons_became_codes(
    question: tuple[list[Marker], Channel, datetime, Direction, str | None, ContactLog],
) -> None:
    assert rendered_reasons(*question) == _Oracle.reasons(*question)


@settings(max_examples=300, deadline=None)
@given(instants.flatmap(markers_at))
def test_summaries_read_exactly_as_before(marker: Marker) -> None:
    assert rendered_summary(marker) == _Oracle.summary(marker)


# --- the catalogue ---------------------------------------------------------------------


def test_every_reason_code_has_words_in_every_language_of_the_catalogue() -> None:
    assert Language.EN in CATALOGUES
    for language, wording in CATALOGUES.items():
        assert set(wording.REASONS) == set(ReasonCode), language


TUESDAY_2PM = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)  # GMT: London reads 14:00 too
OFFICER = SinglePointOfContactDetails(
    officer_id="EMP-1042",
    name="Alex Jones",
    phone="01352 702000",
    email="alex.jones@example.gov.uk",
)
TUE_THU_MORNINGS = TelephoneScheduleDetails(
    windows=(ScheduleWindow(days=(Weekday.TUESDAY, Weekday.THURSDAY), start="10:00", end="12:00"),),
    max_call_minutes=15,
)


def _marker(kind: MarkerKind, details: MarkerDetails, ends_at: datetime | None = None) -> Marker:
    return Marker(
        id="M-1",
        customer_ref="CUST-1",
        kind=kind,
        details=details,
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        ends_at=ends_at,
        review_due=None if kind is MarkerKind.TELEPHONE_SUSPENSION else date(2027, 1, 1),
        services=None,
        reason="Test reason.",
        created_by="CCSM-01",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        version=1,
    )


_EARLIER_TODAY = {Channel.PHONE: [TUESDAY_2PM - timedelta(hours=3)]}
# One question per code: the marker, what is asked, and what the handler reads.
EXAMPLES: Mapping[ReasonCode, tuple[Marker, Channel, Direction, ContactLog, str]] = {
    ReasonCode.TELEPHONE_SUSPENDED: (
        # Ends in British Summer Time: said as the London clock reads it.
        _marker(
            MarkerKind.TELEPHONE_SUSPENSION,
            TelephoneSuspensionDetails(),
            datetime(2027, 4, 1, 8, 0, tzinfo=UTC),
        ),
        Channel.PHONE,
        Direction.INBOUND,
        {},
        "Telephone contact is suspended until 09:00 on Thursday 1 April 2027.",
    ),
    ReasonCode.CHANNEL_OUTSIDE_LIMIT: (
        _marker(
            MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=(Channel.EMAIL, Channel.LETTER))
        ),
        Channel.IN_PERSON,
        Direction.OUTBOUND,
        {},
        "Contact is limited to email and letter; in person is not one of them.",
    ),
    ReasonCode.OUTSIDE_CALL_TIMES: (
        _marker(MarkerKind.TELEPHONE_SCHEDULE, TUE_THU_MORNINGS),
        Channel.PHONE,
        Direction.INBOUND,
        {},
        "Outside the agreed call times. Telephone calls are taken only on Tuesday and "
        "Thursday 10:00 to 12:00, for up to 15 minutes a call.",
    ),
    ReasonCode.QUOTA_REACHED: (
        _marker(
            MarkerKind.CONTACT_QUOTA,
            ContactQuotaDetails(channel=Channel.PHONE, limit=1, period=QuotaPeriod.WEEK),
        ),
        Channel.PHONE,
        Direction.INBOUND,
        _EARLIER_TODAY,
        "The limit of 1 phone contacts per week (Monday to Sunday) has been reached.",
    ),
    ReasonCode.SOCIAL_MEDIA_BLOCKED: (
        _marker(
            MarkerKind.SOCIAL_MEDIA_BLOCK,
            SocialMediaBlockDetails(platform="Facebook", account="@x"),
            datetime(2026, 12, 24, 17, 30, tzinfo=UTC),
        ),
        Channel.SOCIAL_MEDIA,
        Direction.INBOUND,
        {},
        "Social media contact is blocked (Facebook) until 17:30 on Thursday 24 December 2026.",
    ),
    ReasonCode.WITHIN_CALL_TIMES: (
        _marker(
            MarkerKind.TELEPHONE_SCHEDULE,
            TelephoneScheduleDetails(
                windows=(ScheduleWindow(days=(Weekday.TUESDAY,), start="13:00", end="24:00"),)
            ),
        ),
        Channel.PHONE,
        Direction.OUTBOUND,
        {},
        "Within the agreed call times. Telephone calls are taken only on Tuesday 13:00 to "
        "midnight.",
    ),
    ReasonCode.QUOTA_USED: (
        _marker(
            MarkerKind.CONTACT_QUOTA,
            ContactQuotaDetails(channel=Channel.PHONE, limit=3, period=QuotaPeriod.MONTH),
        ),
        Channel.PHONE,
        Direction.INBOUND,
        _EARLIER_TODAY,
        "1 of 3 phone contacts per calendar month used.",
    ),
    ReasonCode.ROUTE_TO_OFFICER: (
        _marker(MarkerKind.SINGLE_POINT_OF_CONTACT, OFFICER),
        Channel.PHONE,
        Direction.INBOUND,
        {},
        "Route to Alex Jones (officer EMP-1042, 01352 702000 or alex.jones@example.gov.uk).",
    ),
    ReasonCode.ONLY_BY_OFFICER: (
        _marker(MarkerKind.SINGLE_POINT_OF_CONTACT, OFFICER),
        Channel.LETTER,
        Direction.OUTBOUND,
        {},
        "Contact is made only by Alex Jones (officer EMP-1042, 01352 702000 or "
        "alex.jones@example.gov.uk).",
    ),
    ReasonCode.BEHAVIOUR_CONTRACT: (
        _marker(
            MarkerKind.BEHAVIOUR_CONTRACT,
            BehaviourContractDetails(terms="Calls will be courteous.", signed_on=date(2026, 1, 5)),
        ),
        Channel.EMAIL,
        Direction.INBOUND,
        {},
        "Behaviour contract in place. Terms: Calls will be courteous.",
    ),
    ReasonCode.DO_NOT_ACKNOWLEDGE: (
        _marker(MarkerKind.READ_AND_FILE, ReadAndFileDetails()),
        Channel.LETTER,
        Direction.OUTBOUND,
        {},
        "Do not acknowledge the customer's letters; other letters may be sent.",
    ),
    ReasonCode.READ_AND_FILE: (
        _marker(MarkerKind.READ_AND_FILE, ReadAndFileDetails()),
        Channel.EMAIL,
        Direction.INBOUND,
        {},
        "Read this email for new issues, then file it without acknowledgement.",
    ),
}


def test_the_examples_cover_every_reason_code() -> None:
    assert set(EXAMPLES) == set(ReasonCode)


@pytest.mark.parametrize("code", list(ReasonCode))
def test_each_rule_gives_its_code_with_values_and_english_says_it(code: ReasonCode) -> None:
    marker, channel, direction, contacts, english = EXAMPLES[code]
    result = check_contact([marker], channel, TUESDAY_2PM, direction, contacts=contacts)
    (reason,) = result.reasons
    assert (reason.marker_id, reason.kind, reason.code) == (marker.id, marker.kind, code)
    # The values themselves, not words: another language can say them its own way.
    assert reason.params.channel is channel
    assert reason.params.details is marker.details
    assert reason.params.until == marker.ends_at
    assert render_reason(reason, Language.EN) == english


def test_a_quota_reason_carries_the_contacts_counted() -> None:
    marker, channel, direction, contacts, _ = EXAMPLES[ReasonCode.QUOTA_USED]
    (reason,) = check_contact([marker], channel, TUESDAY_2PM, direction, contacts=contacts).reasons
    assert reason.params == ReasonParams(channel, marker.details, None, used=1)


def test_welsh_reads_english_until_the_welsh_catalogue_is_written() -> None:
    # A handler must always have words to read: no cy.py yet, so English, not an error.
    marker, *_ = EXAMPLES[ReasonCode.ROUTE_TO_OFFICER]
    reason = Reason(
        marker.id,
        marker.kind,
        ReasonCode.ROUTE_TO_OFFICER,
        ReasonParams(Channel.PHONE, marker.details, None),
    )
    assert render_reason(reason, Language.CY) == render_reason(reason, Language.EN)
    assert render_summary(marker, Language.CY) == render_summary(marker, Language.EN)
