"""The validated details each kind of marker carries (DOMAIN.md, "Restrictions a formal
decision can impose"). These models are the API's request shapes, the JSON stored in
`markers.details`, and what the pure contact check reads."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.restrictions.kinds import Channel, QuotaPeriod, Weekday

# PostgreSQL text cannot hold NUL, and control characters have no place in a name.
TEXT_PATTERN = r"^[^\x00]*$"
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TOKEN_PATTERN = r"^[^\s\x00-\x1f\x7f]+$"
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=LINE_PATTERN),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=TEXT_PATTERN),
]
Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=TOKEN_PATTERN),
]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]

EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None
    if not EARLIEST <= instant < LATEST:
        raise ValueError("must be between 1970 and 2200")
    return value


# An instant as the API takes it: ISO 8601 with an offset, within a sane range.
Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]

_CLOCK = re.compile(r"^(\d\d):(\d\d)$")


def clock_minutes(value: str) -> int:
    """Minutes after local midnight for "HH:MM" (24:00 is 1440, the end of the day)."""
    match = _CLOCK.match(value)
    if match is None:
        raise ValueError(f"not a HH:MM time: {value!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


class _Details(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelephoneSuspensionDetails(_Details):
    """No fields: the suspension is the marker's own start and end."""


class ChannelLimitDetails(_Details):
    channels: tuple[Channel, ...] = Field(
        min_length=1,
        max_length=len(Channel),
        description="The only channels the customer may use while the limit is in force.",
        examples=[["email", "letter"]],
    )

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: tuple[Channel, ...]) -> tuple[Channel, ...]:
        if len(set(value)) != len(value):
            raise ValueError("channels must not repeat")
        return value


class ScheduleWindow(_Details):
    days: tuple[Weekday, ...] = Field(
        min_length=1, max_length=7, examples=[["tuesday", "thursday"]]
    )
    start: ClockTime = Field(
        description="Local (Europe/London) opening time, HH:MM.", examples=["10:00"]
    )
    end: ClockTime = Field(
        description="Local closing time, HH:MM, exclusive. 24:00 is midnight at the end of the "
        "day; an end earlier than the start runs past midnight into the next day.",
        examples=["12:00"],
    )

    @field_validator("days")
    @classmethod
    def _unique_days(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(value)) != len(value):
            raise ValueError("days must not repeat")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ScheduleWindow:
        if self.start == "24:00":
            raise ValueError("a window cannot start at 24:00")
        if clock_minutes(self.start) == clock_minutes(self.end):
            raise ValueError("a window needs different start and end times")
        return self


class TelephoneScheduleDetails(_Details):
    windows: tuple[ScheduleWindow, ...] = Field(min_length=1, max_length=28)
    max_call_minutes: int | None = Field(
        default=None, ge=1, le=240, description="Longest call allowed, in minutes.", examples=[15]
    )


class SinglePointOfContactDetails(_Details):
    officer_id: Identifier = Field(examples=["EMP-1042"])
    name: ShortText = Field(examples=["Alex Jones"])
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,20}$")] | None = Field(
        default=None, examples=["01352 702000"]
    )
    email: (
        Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
        | None
    ) = Field(default=None, examples=["alex.jones@example.gov.uk"])

    @model_validator(mode="after")
    def _reachable(self) -> SinglePointOfContactDetails:
        if self.phone is None and self.email is None:
            raise ValueError("give the officer's phone or email (or both)")
        return self


class BehaviourContractDetails(_Details):
    terms: LongText = Field(examples=["Calls will be courteous; no more than one email a day."])
    signed_on: date | None = Field(default=None, description="When the customer signed it.")


class ReadAndFileDetails(_Details):
    channels: tuple[Literal[Channel.LETTER, Channel.EMAIL], ...] = Field(
        default=(Channel.LETTER, Channel.EMAIL),
        min_length=1,
        max_length=2,
        description="Correspondence channels that are read for new issues, then filed.",
    )

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: tuple[Channel, ...]) -> tuple[Channel, ...]:
        if len(set(value)) != len(value):
            raise ValueError("channels must not repeat")
        return value


class ContactQuotaDetails(_Details):
    channel: Channel = Field(examples=["phone"])
    limit: int = Field(ge=1, le=1000, description="Contacts allowed per period.", examples=[3])
    period: QuotaPeriod = Field(
        description="day: a London calendar day; week: Monday to Sunday; month: calendar month.",
        examples=["week"],
    )


class SocialMediaPost(_Details):
    url: Annotated[str, StringConstraints(max_length=2000, pattern=TOKEN_PATTERN)] | None = None
    posted_at: Instant | None = None
    description: LongText


class SocialMediaBlockDetails(_Details):
    platform: ShortText = Field(examples=["Facebook"])
    account: ShortText = Field(examples=["@example_account"])
    posts: tuple[SocialMediaPost, ...] = Field(
        default=(),
        max_length=50,
        description="Retained details of the public posts that led to the block.",
    )


MarkerDetails = (
    TelephoneSuspensionDetails
    | ChannelLimitDetails
    | TelephoneScheduleDetails
    | SinglePointOfContactDetails
    | BehaviourContractDetails
    | ReadAndFileDetails
    | ContactQuotaDetails
    | SocialMediaBlockDetails
)
