"""The contact check: may this contact happen at this time, on this channel?

Pure functions over markers (docs/domain.md: kinds, combining, next-allowed). Both the CRM
read and the contact check, on every path (fast layer, FastAPI route, batch, database
fallback), answer through `check_contact` and `allowed_channels`. A reason is a code with
the values it is about; its words come from the catalogue in app/wording, per language."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Final, NamedTuple

from app.domain.details import (
    ChannelLimitDetails,
    ContactQuotaDetails,
    MarkerDetails,
    ReadAndFileDetails,
    SinglePointOfContactDetails,
    TelephoneScheduleDetails,
)
from app.domain.markers import Marker
from app.domain.time import periods, schedule, timeline
from app.domain.vocabulary import (
    ALL_CHANNELS,
    OUTCOME_SEVERITY,
    Channel,
    Direction,
    MarkerKind,
    Outcome,
)

# How far back `at` may go. Quotas count the contacts of the whole period (up to a calendar
# month) that holds `at`, and the snapshot keeps recorded contacts for this long plus the
# longest period: an older `at` would be counted against contacts no longer held, so it is
# refused rather than answered wrong.
PAST_AT_LIMIT = timedelta(days=31)

# Recorded inbound contacts by channel, each list sorted by time: what quotas count.
ContactLog = Mapping[Channel, Sequence[datetime]]
NO_CONTACTS: ContactLog = MappingProxyType({})

# Each step jumps to the latest reopening of the markers then denying; markers that never
# open together (two schedules with no common window) would step forever, so after this
# many steps nothing in force will open the channel.
_MAX_STEPS = 64


class ReasonCode(StrEnum):
    """Why a marker concerns a contact. Every code has a rendering in every language of
    app/wording."""

    # The marker denies the contact.
    TELEPHONE_SUSPENDED = "telephone_suspended"
    CHANNEL_OUTSIDE_LIMIT = "channel_outside_limit"
    OUTSIDE_CALL_TIMES = "outside_call_times"
    QUOTA_REACHED = "quota_reached"
    SOCIAL_MEDIA_BLOCKED = "social_media_blocked"
    # The marker allows it, routes it, or says how to handle it.
    WITHIN_CALL_TIMES = "within_call_times"
    QUOTA_USED = "quota_used"
    ROUTE_TO_OFFICER = "route_to_officer"
    ONLY_BY_OFFICER = "only_by_officer"
    BEHAVIOUR_CONTRACT = "behaviour_contract"
    DO_NOT_ACKNOWLEDGE = "do_not_acknowledge"
    READ_AND_FILE = "read_and_file"


class ReasonParams(NamedTuple):
    """The values a reason is about, never words: whatever language renders the reason
    picks what it says from these. (A NamedTuple: built for every reason of every check,
    and a frozen dataclass costs twice as much to build.)"""

    channel: Channel  # the channel asked about
    details: MarkerDetails  # the marker's terms: channels, schedule, officer, quota, ...
    until: datetime | None  # when the marker ends; None: open-ended
    used: int | None = None  # contacts counted in the current quota period (QUOTA_USED)


@dataclass(frozen=True, slots=True)
class Reason:
    """A marker that concerns the contact, and why. For the words a person reads, render
    it in their language: `app.wording.catalogue.render_reason(reason, language)`."""

    marker_id: str
    kind: MarkerKind
    code: ReasonCode
    params: ReasonParams


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    next_allowed_at: datetime | None
    allowed_channels: tuple[Channel, ...] | None
    route_to: SinglePointOfContactDetails | None

    @property
    def allowed(self) -> bool:
        return self.outcome is not Outcome.DENY


UNRESTRICTED = CheckResult(Outcome.ALLOW, (), None, None, None)


@lru_cache(maxsize=4096)
def _segments(details: TelephoneScheduleDetails) -> tuple[schedule.Segment, ...]:
    return schedule.segments(details.windows)


def _count_in_period(contacts: ContactLog, quota: ContactQuotaDetails, at: datetime) -> int:
    start, end = periods.period_bounds(at, quota.period)
    times = contacts.get(quota.channel, ())
    return bisect_left(times, end) - bisect_left(times, start)


_NONE: frozenset[Channel] = frozenset()
_PHONE = frozenset({Channel.PHONE})
_SOCIAL = frozenset({Channel.SOCIAL_MEDIA})


@lru_cache(maxsize=64)
def _others(channels: tuple[Channel, ...]) -> frozenset[Channel]:
    return frozenset(ALL_CHANNELS) - frozenset(channels)


def denied_channels(
    marker: Marker, at: datetime, direction: Direction, contacts: ContactLog
) -> frozenset[Channel]:
    """The channels this marker, if in force at `at`, stops (docs/domain.md: kinds)."""
    details = marker.details
    match marker.kind:
        case MarkerKind.TELEPHONE_SUSPENSION:
            return _PHONE
        case MarkerKind.CHANNEL_LIMIT:
            assert isinstance(details, ChannelLimitDetails)
            return _others(details.channels)
        case MarkerKind.TELEPHONE_SCHEDULE:
            assert isinstance(details, TelephoneScheduleDetails)
            return _NONE if timeline.is_open(_segments(details), at) else _PHONE
        case MarkerKind.CONTACT_QUOTA:
            assert isinstance(details, ContactQuotaDetails)
            # A quota limits what the customer sends us, not what the council sends.
            if direction is Direction.OUTBOUND:
                return _NONE
            if _count_in_period(contacts, details, at) >= details.limit:
                return frozenset({details.channel})
            return _NONE
        case MarkerKind.SOCIAL_MEDIA_BLOCK:
            return _SOCIAL
        case _:
            return _NONE


def denies(
    marker: Marker, channel: Channel, at: datetime, direction: Direction, contacts: ContactLog
) -> bool:
    """Whether this marker, if in force at `at`, stops this contact."""
    return channel in denied_channels(marker, at, direction, contacts)


def _reopens_at(
    marker: Marker, channel: Channel, at: datetime, direction: Direction, contacts: ContactLog
) -> datetime | None:
    """The earliest instant at or after `at` at which this (denying) marker stops denying;
    until then it denies without a break. None: never, while it stays as recorded."""
    end = marker.ends_at
    opening: datetime | None = None
    details = marker.details
    if isinstance(details, TelephoneScheduleDetails):
        opening = timeline.next_open(_segments(details), at)
    elif isinstance(details, ContactQuotaDetails):
        opening = periods.period_bounds(at, details.period)[1]
    if opening is None:
        return end
    return opening if end is None else min(opening, end)


def _blocking(
    markers: Sequence[Marker],
    channel: Channel,
    at: datetime,
    direction: Direction,
    contacts: ContactLog,
) -> list[Marker]:
    return [m for m in markers if m.in_force(at) and denies(m, channel, at, direction, contacts)]


def next_allowed_at(
    markers: Sequence[Marker],
    channel: Channel,
    at: datetime,
    direction: Direction,
    contacts: ContactLog,
) -> datetime | None:
    """The first instant at or after `at` at which no marker denies the channel: every
    blocking marker must have reopened at once (a suspension ending Tuesday 09:00 with a
    Tuesday 10:00-12:00 schedule gives Tuesday 10:00). None when the channel is open at
    `at`, or when nothing in force will ever open it."""
    t = at
    for _ in range(_MAX_STEPS):
        blocking = _blocking(markers, channel, t, direction, contacts)
        if not blocking:
            return None if t == at else t
        reopenings = [_reopens_at(m, channel, t, direction, contacts) for m in blocking]
        if any(r is None for r in reopenings):
            return None
        # Each blocking marker denies without a break until it reopens, so nothing before
        # the latest reopening can be allowed.
        t = max(r for r in reopenings if r is not None)
    return None


def allowed_channels(
    markers: Sequence[Marker], at: datetime, direction: Direction, contacts: ContactLog
) -> tuple[Channel, ...] | None:
    """Channels no marker denies at `at`; None when every channel is open. A restriction
    limits how we talk, never whether we deal with the matter, so the answer always says
    which lines stay open."""
    in_force = [m for m in markers if m.in_force(at)]
    if not in_force:
        return None
    denied: set[Channel] = set()
    for marker in in_force:
        denied.update(denied_channels(marker, at, direction, contacts))
    if not denied:
        return None
    return tuple(c for c in ALL_CHANNELS if c not in denied)


def single_point_of_contact(
    markers: Sequence[Marker], at: datetime
) -> SinglePointOfContactDetails | None:
    """The officer in force now; if several are recorded, the one that started last."""
    current = [
        m for m in markers if m.kind is MarkerKind.SINGLE_POINT_OF_CONTACT and m.in_force(at)
    ]
    if not current:
        return None
    latest = max(current, key=lambda m: (m.starts_at, m.created_at))
    assert isinstance(latest.details, SinglePointOfContactDetails)
    return latest.details


_DENIALS: Final[Mapping[MarkerKind, ReasonCode]] = MappingProxyType(
    {
        MarkerKind.TELEPHONE_SUSPENSION: ReasonCode.TELEPHONE_SUSPENDED,
        MarkerKind.CHANNEL_LIMIT: ReasonCode.CHANNEL_OUTSIDE_LIMIT,
        MarkerKind.TELEPHONE_SCHEDULE: ReasonCode.OUTSIDE_CALL_TIMES,
        MarkerKind.CONTACT_QUOTA: ReasonCode.QUOTA_REACHED,
        MarkerKind.SOCIAL_MEDIA_BLOCK: ReasonCode.SOCIAL_MEDIA_BLOCKED,
    }
)


def _assess(
    marker: Marker,
    channel: Channel,
    at: datetime,
    direction: Direction,
    contacts: ContactLog,
) -> tuple[Outcome, ReasonCode, int | None] | None:
    """This marker's effect on the contact, the reason the handler is given and, for a
    quota, the contacts counted; None when it does not concern this channel."""
    details = marker.details
    if denies(marker, channel, at, direction, contacts):
        return Outcome.DENY, _DENIALS[marker.kind], None
    match marker.kind:
        case MarkerKind.TELEPHONE_SCHEDULE if channel is Channel.PHONE:
            return Outcome.ALLOW, ReasonCode.WITHIN_CALL_TIMES, None
        case MarkerKind.CONTACT_QUOTA if direction is Direction.INBOUND:
            assert isinstance(details, ContactQuotaDetails)
            if details.channel is not channel:
                return None
            return Outcome.ALLOW, ReasonCode.QUOTA_USED, _count_in_period(contacts, details, at)
        case MarkerKind.SINGLE_POINT_OF_CONTACT:
            if direction is Direction.INBOUND:
                return Outcome.ROUTE_TO_CONTACT, ReasonCode.ROUTE_TO_OFFICER, None
            return Outcome.ROUTE_TO_CONTACT, ReasonCode.ONLY_BY_OFFICER, None
        case MarkerKind.BEHAVIOUR_CONTRACT:
            return Outcome.ALLOW, ReasonCode.BEHAVIOUR_CONTRACT, None
        case MarkerKind.READ_AND_FILE:
            assert isinstance(details, ReadAndFileDetails)
            if channel not in details.channels:
                return None
            if direction is Direction.OUTBOUND:
                return Outcome.ALLOW, ReasonCode.DO_NOT_ACKNOWLEDGE, None
            return Outcome.READ_AND_FILE, ReasonCode.READ_AND_FILE, None
        case _:
            return None


def stable_until(
    markers: Sequence[Marker], at: datetime, contacts: ContactLog = NO_CONTACTS
) -> datetime | None:
    """The first instant after `at` at which any of these markers may answer differently:
    a start or an end, a schedule window opening or closing, a new quota period. Every
    answer about these markers holds unchanged over [at, stable_until); None: for ever.
    (New contacts or changed markers arrive as new values, so they are not instants.)"""
    soonest: datetime | None = None
    for marker in markers:
        candidates: list[datetime | None] = [marker.ends_at]
        if marker.starts_at > at:
            candidates.append(marker.starts_at)
        details = marker.details
        if isinstance(details, TelephoneScheduleDetails):
            candidates.append(timeline.next_change(_segments(details), at))
        elif isinstance(details, ContactQuotaDetails):
            candidates.append(periods.period_bounds(at, details.period)[1])
        for candidate in candidates:
            if (
                candidate is not None
                and candidate > at
                and (soonest is None or candidate < soonest)
            ):
                soonest = candidate
    return soonest


def check_contact(
    markers: Sequence[Marker],
    channel: Channel,
    at: datetime,
    direction: Direction = Direction.INBOUND,
    service: str | None = None,
    contacts: ContactLog = NO_CONTACTS,
) -> CheckResult:
    """The answer to "may this contact happen now, on this channel?". The most
    restrictive effect wins and every marker that concerns the contact is a reason."""
    if not markers:
        return UNRESTRICTED
    relevant = [m for m in markers if m.covers(service)]
    outcome = Outcome.ALLOW
    reasons: list[Reason] = []
    for marker in relevant:
        if not marker.in_force(at):
            continue
        assessed = _assess(marker, channel, at, direction, contacts)
        if assessed is None:
            continue
        effect, code, used = assessed
        params = ReasonParams(channel, marker.details, marker.ends_at, used)
        reasons.append(Reason(marker.id, marker.kind, code, params))
        if OUTCOME_SEVERITY[effect] > OUTCOME_SEVERITY[outcome]:
            outcome = effect
    next_at = (
        next_allowed_at(relevant, channel, at, direction, contacts)
        if outcome is Outcome.DENY
        else None
    )
    return CheckResult(
        outcome=outcome,
        reasons=tuple(reasons),
        next_allowed_at=next_at,
        allowed_channels=allowed_channels(relevant, at, direction, contacts),
        route_to=single_point_of_contact(relevant, at),
    )
