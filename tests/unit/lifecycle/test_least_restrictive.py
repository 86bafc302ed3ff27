"""Least restrictive (docs/domain.md: decision-lifecycle, least-restrictive): which inbound
channels a set of markers would close for good, checked against an independent oracle."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.details import (
    ChannelLimitDetails,
    ContactQuotaDetails,
    MarkerDetails,
    ScheduleWindow,
    SinglePointOfContactDetails,
    SocialMediaBlockDetails,
    TelephoneScheduleDetails,
    TelephoneSuspensionDetails,
)
from app.domain.lifecycle.least_restrictive import ClosedChannel, closed_for_good
from app.domain.markers import Marker
from app.domain.vocabulary import ALL_CHANNELS, Channel, MarkerKind, QuotaPeriod, Weekday
from tests.unit.oracles import oracle_open

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday in winter: London is UTC
_ids = itertools.count(1)


def make(
    kind: MarkerKind,
    details: MarkerDetails,
    *,
    start_days: int = 0,
    length_days: int | None = None,
    services: tuple[str, ...] | None = None,
    lifted: bool = False,
) -> Marker:
    starts = AT + timedelta(days=start_days)
    return Marker(
        id=f"M-{next(_ids)}",
        customer_ref="CUST-1",
        kind=kind,
        details=details,
        starts_at=starts,
        ends_at=None if length_days is None else starts + timedelta(days=length_days),
        review_due=date(2026, 6, 1),
        services=services,
        reason="Test.",
        created_by="ccsm-1",
        created_at=AT,
        version=1,
        lifted_at=AT if lifted else None,
    )


def test_email_only_and_letter_only_together_close_every_channel() -> None:
    email = make(MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=(Channel.EMAIL,)))
    letter = make(MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=(Channel.LETTER,)))
    closed = closed_for_good([email, letter], AT)
    assert [c.channel for c in closed] == list(ALL_CHANNELS)
    assert closed[0] == ClosedChannel(Channel.PHONE, (email.id, letter.id), None)
    assert {c.channel: c.marker_ids for c in closed}[Channel.EMAIL] == (letter.id,)


def test_one_line_open_is_enough_and_an_end_reopens_a_channel() -> None:
    email_only = make(MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=(Channel.EMAIL,)))
    assert closed_for_good([email_only], AT) == ()
    letter_for_a_month = make(
        MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=(Channel.LETTER,)), length_days=30
    )
    assert closed_for_good([email_only, letter_for_a_month], AT) == ()


def test_a_limit_that_starts_later_still_closes_the_lines_once_it_begins() -> None:
    email = make(MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=(Channel.EMAIL,)))
    later = make(
        MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=(Channel.PHONE,)), start_days=7
    )
    assert len(closed_for_good([email, later], AT)) == len(ALL_CHANNELS)


def test_a_service_scoped_limit_closes_every_line_for_that_service_only() -> None:
    council = make(MarkerKind.CHANNEL_LIMIT, ChannelLimitDetails(channels=(Channel.PHONE,)))
    housing = make(
        MarkerKind.TELEPHONE_SUSPENSION, TelephoneSuspensionDetails(), services=("Housing",)
    )
    closed = closed_for_good([council, housing], AT)
    assert {c.service for c in closed} == {"Housing"}
    by_channel = {c.channel: c.marker_ids for c in closed}
    assert by_channel[Channel.PHONE] == (housing.id,)
    assert by_channel[Channel.EMAIL] == (council.id,)


HOURS = [f"{h:02d}:00" for h in range(24)]


@st.composite
def schedules(draw: Any) -> TelephoneScheduleDetails:
    windows = []
    for _ in range(draw(st.integers(1, 2))):
        days = draw(st.lists(st.sampled_from(list(Weekday)), min_size=1, max_size=3, unique=True))
        start = draw(st.integers(0, 23))
        end = draw(st.integers(1, 24).filter(lambda e, s=start: e != s))
        end_text = "24:00" if end == 24 else HOURS[end]
        windows.append(ScheduleWindow(days=tuple(days), start=HOURS[start], end=end_text))
    return TelephoneScheduleDetails(windows=tuple(windows))


DETAILS = {
    MarkerKind.TELEPHONE_SUSPENSION: st.just(TelephoneSuspensionDetails()),
    MarkerKind.CHANNEL_LIMIT: st.lists(
        st.sampled_from(ALL_CHANNELS), min_size=1, max_size=3, unique=True
    ).map(lambda cs: ChannelLimitDetails(channels=tuple(cs))),
    MarkerKind.TELEPHONE_SCHEDULE: schedules(),
    MarkerKind.SOCIAL_MEDIA_BLOCK: st.just(SocialMediaBlockDetails(platform="X", account="@a")),
    MarkerKind.CONTACT_QUOTA: st.just(
        ContactQuotaDetails(channel=Channel.EMAIL, limit=1, period=QuotaPeriod.DAY)
    ),
    MarkerKind.SINGLE_POINT_OF_CONTACT: st.just(
        SinglePointOfContactDetails(officer_id="E-1", name="Officer", email="o@example.gov.uk")
    ),
}


@st.composite
def markers(draw: Any) -> Marker:
    # Channel limits are what close every line, so they are drawn most often.
    kind = draw(st.sampled_from([*DETAILS, MarkerKind.CHANNEL_LIMIT, MarkerKind.CHANNEL_LIMIT]))
    return make(
        kind,
        draw(DETAILS[kind]),
        start_days=draw(st.integers(0, 10)),
        length_days=draw(st.one_of(st.none(), st.none(), st.integers(1, 20))),
        services=draw(st.none() | st.just(("housing",)) | st.just(("Housing", "planning"))),
        lifted=draw(st.integers(0, 4)) == 0,
    )


# The hours of a winter week (no clock change), as (weekday, hour) slots.
_WEEK = [(d, h) for d in range(7) for h in range(24)]


def _open_slots(details: TelephoneScheduleDetails) -> set[tuple[int, int]]:
    monday = datetime(2026, 1, 12, tzinfo=UTC)
    return {
        (d, h)
        for d, h in _WEEK
        if oracle_open(details.windows, monday + timedelta(days=d, hours=h, minutes=30))
    }


def oracle(ms: list[Marker]) -> set[tuple[str | None, Channel, frozenset[str]]]:
    """Closed for good: an open-ended, unlifted marker denies the channel always (a limit
    not listing it, a block of social media, a suspension of the phone), or the phone's
    open-ended schedules share no hour. Reported per scope when every channel is closed."""
    lasting = [m for m in ms if m.ends_at is None and m.lifted_at is None]
    scopes: list[str | None] = [None]
    for m in lasting:
        if m.kind in {
            MarkerKind.TELEPHONE_SUSPENSION,
            MarkerKind.CHANNEL_LIMIT,
            MarkerKind.TELEPHONE_SCHEDULE,
            MarkerKind.SOCIAL_MEDIA_BLOCK,
        }:
            for s in m.services or ():
                if s.casefold() not in {x.casefold() for x in scopes if x}:
                    scopes.append(s)
    found: set[tuple[str | None, Channel, frozenset[str]]] = set()
    for scope in scopes:
        here = [
            m
            for m in lasting
            if m.services is None
            or (scope is not None and scope.casefold() in {s.casefold() for s in m.services})
        ]
        rows = []
        for channel in ALL_CHANNELS:
            always: set[str] = set()
            for m in here:
                d = m.details
                if (
                    (isinstance(d, ChannelLimitDetails) and channel not in d.channels)
                    or (isinstance(d, SocialMediaBlockDetails) and channel is Channel.SOCIAL_MEDIA)
                    or (isinstance(d, TelephoneSuspensionDetails) and channel is Channel.PHONE)
                ):
                    always.add(m.id)
            scheds = [m for m in here if isinstance(m.details, TelephoneScheduleDetails)]
            if channel is Channel.PHONE and scheds:
                common = set(_WEEK)
                for m in scheds:
                    assert isinstance(m.details, TelephoneScheduleDetails)
                    common &= _open_slots(m.details)
                if not common or always:
                    always |= {m.id for m in scheds}
            if not always:
                break
            rows.append((scope, channel, frozenset(always)))
        else:
            found.update(rows)
    return found


@settings(max_examples=500, deadline=None)
@given(st.lists(markers(), max_size=6))
def test_closed_for_good_agrees_with_the_oracle(ms: list[Marker]) -> None:
    got = {(c.service, c.channel, frozenset(c.marker_ids)) for c in closed_for_good(ms, AT)}
    assert got == oracle(ms)
