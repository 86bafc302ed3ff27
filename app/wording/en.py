"""English: the words a call handler reads aloud, each marker's summary and the reasons of
the contact check. Times are said in London time."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from types import MappingProxyType
from typing import Final

from app.domain.contact_rules import ReasonCode, ReasonParams
from app.domain.details import (
    BehaviourContractDetails,
    ChannelLimitDetails,
    ContactQuotaDetails,
    ReadAndFileDetails,
    ScheduleWindow,
    SinglePointOfContactDetails,
    SocialMediaBlockDetails,
    TelephoneScheduleDetails,
)
from app.domain.markers import Marker
from app.domain.time.london import to_london
from app.domain.vocabulary import Channel, MarkerKind, QuotaPeriod

CHANNEL_WORDS = {
    Channel.PHONE: "phone",
    Channel.EMAIL: "email",
    Channel.LETTER: "letter",
    Channel.IN_PERSON: "in person",
    Channel.ONLINE: "online",
    Channel.SOCIAL_MEDIA: "social media",
}
PERIOD_WORDS = {
    QuotaPeriod.DAY: "per day",
    QuotaPeriod.WEEK: "per week (Monday to Sunday)",
    QuotaPeriod.MONTH: "per calendar month",
}


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def say_instant(instant: datetime) -> str:
    local = to_london(instant)
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B %Y}"


def say_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def say_window(window: ScheduleWindow) -> str:
    days = join_words([d.value.capitalize() for d in window.days])
    end = "midnight" if window.end == "24:00" else window.end
    return f"{days} {window.start} to {end}"


def say_schedule(details: TelephoneScheduleDetails) -> str:
    text = "Telephone calls are taken only on " + "; ".join(say_window(w) for w in details.windows)
    if details.max_call_minutes is not None:
        text += f", for up to {details.max_call_minutes} minutes a call"
    return text


def say_officer(officer: SinglePointOfContactDetails) -> str:
    ways = [w for w in (officer.phone, officer.email) if w]
    return f"{officer.name} (officer {officer.officer_id}, {' or '.join(ways)})"


def say_channels(channels: Sequence[Channel]) -> str:
    return join_words([CHANNEL_WORDS[c] for c in channels])


def summary(marker: Marker) -> str:
    """The one-paragraph description of a marker that goes with every read."""
    details = marker.details
    match marker.kind:
        case MarkerKind.TELEPHONE_SUSPENSION:
            text = "Telephone contact is suspended"
        case MarkerKind.CHANNEL_LIMIT:
            assert isinstance(details, ChannelLimitDetails)
            text = f"Contact is limited to {say_channels(details.channels)}"
        case MarkerKind.TELEPHONE_SCHEDULE:
            assert isinstance(details, TelephoneScheduleDetails)
            text = say_schedule(details)
        case MarkerKind.SINGLE_POINT_OF_CONTACT:
            assert isinstance(details, SinglePointOfContactDetails)
            text = f"All contact goes to {say_officer(details)}"
        case MarkerKind.BEHAVIOUR_CONTRACT:
            assert isinstance(details, BehaviourContractDetails)
            signed = f", signed on {say_date(details.signed_on)}" if details.signed_on else ""
            text = f"A behaviour contract is in place{signed}. Terms: {details.terms.rstrip('.')}"
        case MarkerKind.READ_AND_FILE:
            assert isinstance(details, ReadAndFileDetails)
            text = (
                f"Correspondence by {say_channels(details.channels)} is read for new "
                "issues, then filed without acknowledgement"
            )
        case MarkerKind.CONTACT_QUOTA:
            assert isinstance(details, ContactQuotaDetails)
            text = (
                f"At most {details.limit} {CHANNEL_WORDS[details.channel]} contacts "
                f"{PERIOD_WORDS[details.period]}"
            )
        case MarkerKind.SOCIAL_MEDIA_BLOCK:
            assert isinstance(details, SocialMediaBlockDetails)
            text = f"Blocked on {details.platform} (account {details.account})"
    if marker.ends_at is not None:
        text += f", until {say_instant(marker.ends_at)}"
    text += "."
    if marker.services is not None:
        text += f" Applies to {join_words(list(marker.services))} only."
    return text


def _until(params: ReasonParams) -> str:
    return f" until {say_instant(params.until)}" if params.until else ""


def _telephone_suspended(params: ReasonParams) -> str:
    return f"Telephone contact is suspended{_until(params)}."


def _channel_outside_limit(params: ReasonParams) -> str:
    details = params.details
    assert isinstance(details, ChannelLimitDetails)
    return (
        f"Contact is limited to {say_channels(details.channels)}{_until(params)}; "
        f"{CHANNEL_WORDS[params.channel]} is not one of them."
    )


def _outside_call_times(params: ReasonParams) -> str:
    assert isinstance(params.details, TelephoneScheduleDetails)
    return f"Outside the agreed call times. {say_schedule(params.details)}."


def _quota_reached(params: ReasonParams) -> str:
    details = params.details
    assert isinstance(details, ContactQuotaDetails)
    return (
        f"The limit of {details.limit} {CHANNEL_WORDS[params.channel]} contacts "
        f"{PERIOD_WORDS[details.period]} has been reached."
    )


def _social_media_blocked(params: ReasonParams) -> str:
    assert isinstance(params.details, SocialMediaBlockDetails)
    return f"Social media contact is blocked ({params.details.platform}){_until(params)}."


def _within_call_times(params: ReasonParams) -> str:
    assert isinstance(params.details, TelephoneScheduleDetails)
    return f"Within the agreed call times. {say_schedule(params.details)}."


def _quota_used(params: ReasonParams) -> str:
    details = params.details
    assert isinstance(details, ContactQuotaDetails)
    return (
        f"{params.used} of {details.limit} {CHANNEL_WORDS[params.channel]} contacts "
        f"{PERIOD_WORDS[details.period]} used."
    )


def _route_to_officer(params: ReasonParams) -> str:
    assert isinstance(params.details, SinglePointOfContactDetails)
    return f"Route to {say_officer(params.details)}."


def _only_by_officer(params: ReasonParams) -> str:
    assert isinstance(params.details, SinglePointOfContactDetails)
    return f"Contact is made only by {say_officer(params.details)}."


def _behaviour_contract(params: ReasonParams) -> str:
    assert isinstance(params.details, BehaviourContractDetails)
    return f"Behaviour contract in place. Terms: {params.details.terms}"


def _do_not_acknowledge(params: ReasonParams) -> str:
    word = CHANNEL_WORDS[params.channel]
    return f"Do not acknowledge the customer's {word}s; other {word}s may be sent."


def _read_and_file(params: ReasonParams) -> str:
    word = CHANNEL_WORDS[params.channel]
    return f"Read this {word} for new issues, then file it without acknowledgement."


# With `summary` above, what app/wording/catalogue.py asks of every language.
REASONS: Final[Mapping[ReasonCode, Callable[[ReasonParams], str]]] = MappingProxyType(
    {
        ReasonCode.TELEPHONE_SUSPENDED: _telephone_suspended,
        ReasonCode.CHANNEL_OUTSIDE_LIMIT: _channel_outside_limit,
        ReasonCode.OUTSIDE_CALL_TIMES: _outside_call_times,
        ReasonCode.QUOTA_REACHED: _quota_reached,
        ReasonCode.SOCIAL_MEDIA_BLOCKED: _social_media_blocked,
        ReasonCode.WITHIN_CALL_TIMES: _within_call_times,
        ReasonCode.QUOTA_USED: _quota_used,
        ReasonCode.ROUTE_TO_OFFICER: _route_to_officer,
        ReasonCode.ONLY_BY_OFFICER: _only_by_officer,
        ReasonCode.BEHAVIOUR_CONTRACT: _behaviour_contract,
        ReasonCode.DO_NOT_ACKNOWLEDGE: _do_not_acknowledge,
        ReasonCode.READ_AND_FILE: _read_and_file,
    }
)
