"""Plain-English wording a call handler can read aloud: each marker's summary, and the
phrases the contact check's reasons are built from. Times are said in London time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from app.contact_check.london import to_london
from app.restrictions.details import (
    BehaviourContractDetails,
    ChannelLimitDetails,
    ContactQuotaDetails,
    ReadAndFileDetails,
    ScheduleWindow,
    SinglePointOfContactDetails,
    SocialMediaBlockDetails,
    TelephoneScheduleDetails,
)
from app.restrictions.domain import Marker
from app.restrictions.kinds import Channel, MarkerKind, QuotaPeriod

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
