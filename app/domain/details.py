"""The validated details each kind of marker carries (docs/domain.md: kinds). These models are the API's request shapes, the JSON stored in
`markers.details`, and what the pure contact check reads."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.domain.patterns import explain_pattern
from app.domain.vocabulary import Channel, QuotaPeriod, Weekday

# PostgreSQL text cannot hold NUL, and control characters have no place in a name.
# Text is stripped of whitespace as Python counts it (which has \x85 and \x1c-\x1f, and
# JSON Schema's \s does not) before its length is judged, so at least one other character.
TEXT_PATTERN = explain_pattern(
    r"^[^\x00]*[^\s\x00\x1c-\x1f\x85][^\x00]*$", "some text, not blank, with no NUL characters"
)
LINE_PATTERN = explain_pattern(
    r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f\x85][^\x00-\x1f\x7f]*$",
    "one line of text, not blank: no line breaks or control characters",
)
TOKEN_PATTERN = explain_pattern(
    r"^[^\s\x00-\x1f\x7f\x85]+$", "no spaces, line breaks or control characters"
)
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
CLOCK_PATTERN = explain_pattern(
    r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", "a time as HH:MM, 00:00 to 24:00 (e.g. 09:30)"
)
ClockTime = Annotated[str, StringConstraints(pattern=CLOCK_PATTERN)]
START_PATTERN = explain_pattern(
    r"^([01]\d|2[0-3]):[0-5]\d$", "a time as HH:MM, 00:00 to 23:59 (a window cannot start at 24:00)"
)
StartTime = Annotated[str, StringConstraints(pattern=START_PATTERN)]
PHONE_PATTERN = explain_pattern(
    r"^\+?[0-9 ()-]{6,20}$",
    "a telephone number: 6 to 20 digits, spaces, brackets or dashes, optionally after a +",
)
# `\s` differs between engines: the server's (Rust's, Unicode White_Space) counts U+0085
# and not U+FEFF, a JSON Schema validator's (ECMAScript's) the other way round. Both are
# named, so that the spec and the server refuse the same addresses.
EMAIL_PATTERN = explain_pattern(
    r"^[^@\s\x00-\x1f\x7f-\x9f\ufeff]+@[^@\s\x00-\x1f\x7f-\x9f\ufeff]+"
    r"\.[^@\s\x00-\x1f\x7f-\x9f\ufeff]+$",
    "an email address, e.g. alex.jones@example.gov.uk",
)
# JSON Schema cannot compare instants, so the declared pattern keeps the year within
# 1970..2199 and leaves out the two days at the edges where an offset could cross the
# bound; the description says the rule itself.
INSTANT_PATTERN = r"^(?!1970-01-01|2199-12-31)(19[7-9]\d|2[01]\d\d)-"
INSTANT_RULE = "ISO 8601 date and time with its UTC offset, between 1970 and 2200"


def not_null(schema: dict[str, Any]) -> None:
    """For an optional input whose omission means the same as null: null is still read,
    but not declared, so that generated clients do not offer a None that means nothing
    more than leaving the field out."""
    options = schema.pop("anyOf", None)
    if options is not None:
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    if schema.get("default", ...) is None:
        del schema["default"]


def json_integer(value: object) -> object:
    """A JSON integer, as JSON Schema counts them (2.0 is one): never a string or a
    boolean, which Python's int() would otherwise read."""
    if isinstance(value, bool | str | bytes):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


JsonInt = Annotated[int, BeforeValidator(json_integer)]

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
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(json_schema_extra={"pattern": INSTANT_PATTERN}),
]

_CLOCK = re.compile(r"^(\d\d):(\d\d)$")


def clock_minutes(value: str) -> int:
    """Minutes after local midnight for "HH:MM" (24:00 is 1440, the end of the day)."""
    match = _CLOCK.match(value)
    if match is None:
        raise ValueError(f"not a HH:MM time: {value!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


def _no_repeats(what: str) -> AfterValidator:
    """Lists that name each item once (declared `uniqueItems` in the schema too)."""

    def check(value: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"{what} must not repeat")
        return value

    return AfterValidator(check)


Channels = Annotated[tuple[Channel, ...], _no_repeats("channels")]
Weekdays = Annotated[tuple[Weekday, ...], _no_repeats("days")]


class _Details(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelephoneSuspensionDetails(_Details):
    """No fields: the suspension is the marker's own start and end."""


class ChannelLimitDetails(_Details):
    channels: Channels = Field(
        min_length=1,
        max_length=len(Channel),
        description="The only channels the customer may use while the limit is in force "
        "(no repeats).",
        examples=[["email", "letter"]],
        json_schema_extra={"uniqueItems": True},
    )


class ScheduleWindow(_Details):
    days: Weekdays = Field(
        min_length=1,
        max_length=7,
        description="Days of the week the window opens on (no repeats).",
        examples=[["tuesday", "thursday"]],
        json_schema_extra={"uniqueItems": True},
    )
    start: StartTime = Field(
        description="Local (Europe/London) opening time, HH:MM from 00:00 to 23:59; it must "
        "differ from `end`.",
        examples=["10:00"],
    )
    end: ClockTime = Field(
        description="Local closing time, HH:MM, exclusive, different from `start`. 24:00 is "
        "midnight at the end of the day; an end earlier than the start runs past midnight "
        "into the next day.",
        examples=["12:00"],
    )

    @model_validator(mode="after")
    def _not_empty(self) -> ScheduleWindow:
        if self.start == "24:00":
            raise ValueError("a window cannot start at 24:00")
        if clock_minutes(self.start) == clock_minutes(self.end):
            raise ValueError("a window needs different start and end times")
        return self


class TelephoneScheduleDetails(_Details):
    windows: tuple[ScheduleWindow, ...] = Field(min_length=1, max_length=28)
    max_call_minutes: Annotated[int, Field(ge=1, le=240), BeforeValidator(json_integer)] | None = (
        Field(
            json_schema_extra=not_null,
            default=None,
            description="Longest call allowed, in minutes.",
            examples=[15],
        )
    )


class SinglePointOfContactDetails(_Details):
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}
    )

    officer_id: Identifier = Field(examples=["EMP-1042"])
    name: ShortText = Field(examples=["Alex Jones"])
    phone: Annotated[str, StringConstraints(pattern=PHONE_PATTERN)] | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Give `phone`, `email` or both.",
        examples=["01352 702000"],
    )
    email: Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)] | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Give `phone`, `email` or both.",
        examples=["alex.jones@example.gov.uk"],
    )

    @model_validator(mode="after")
    def _reachable(self) -> SinglePointOfContactDetails:
        if self.phone is None and self.email is None:
            raise ValueError("give the officer's phone or email (or both)")
        return self


class BehaviourContractDetails(_Details):
    terms: LongText = Field(examples=["Calls will be courteous; no more than one email a day."])
    signed_on: date | None = Field(
        json_schema_extra=not_null, default=None, description="When the customer signed it."
    )


class ReadAndFileDetails(_Details):
    channels: Annotated[
        tuple[Literal[Channel.LETTER, Channel.EMAIL], ...], _no_repeats("channels")
    ] = Field(
        default=(Channel.LETTER, Channel.EMAIL),
        min_length=1,
        max_length=2,
        description="Correspondence channels that are read for new issues, then filed "
        "(no repeats).",
        json_schema_extra={"uniqueItems": True},
    )


class ContactQuotaDetails(_Details):
    channel: Channel = Field(examples=["phone"])
    limit: JsonInt = Field(ge=1, le=1000, description="Contacts allowed per period.", examples=[3])
    period: QuotaPeriod = Field(
        description="day: a London calendar day; week: Monday to Sunday; month: calendar month.",
        examples=["week"],
    )


class SocialMediaPost(_Details):
    url: Annotated[str, StringConstraints(max_length=2000, pattern=TOKEN_PATTERN)] | None = Field(
        default=None, json_schema_extra=not_null
    )
    posted_at: Instant | None = Field(default=None, json_schema_extra=not_null)
    description: LongText


class SocialMediaBlockDetails(_Details):
    platform: ShortText = Field(examples=["Facebook"])
    account: ShortText = Field(examples=["@example_account"])
    posts: tuple[SocialMediaPost, ...] = Field(
        default=(),
        max_length=50,
        description="Retained details of the public posts that led to the block. They are "
        "evidence: a variation adds the posts it gives, and those already retained stay.",
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


def keep_retained(current: MarkerDetails, varied: MarkerDetails) -> MarkerDetails:
    """A social-media block's retained posts are evidence (Appendix 2: evidence kept): a
    variation may add posts but not drop one. The posts already retained stay first, in
    their order, then the variation's new ones. Over 50 together fails validation, as a
    request with as many would."""
    if not isinstance(current, SocialMediaBlockDetails) or not isinstance(
        varied, SocialMediaBlockDetails
    ):
        return varied
    added = tuple(post for post in varied.posts if post not in current.posts)
    return SocialMediaBlockDetails.model_validate(
        {**varied.model_dump(), "posts": [p.model_dump() for p in current.posts + added]}
    )


# The details as responses carry them: every key is always sent (null when not given),
# and the types are plain, since a marker stored under older rules is still shown.
class _DetailsOut(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelephoneSuspensionDetailsOut(_DetailsOut):
    """No fields."""


class ChannelLimitDetailsOut(_DetailsOut):
    channels: list[Channel]


class ScheduleWindowOut(_DetailsOut):
    days: list[Weekday]
    start: str = Field(description="Local (Europe/London) opening time, HH:MM.")
    end: str = Field(description="Local closing time, HH:MM, exclusive; 24:00 is midnight.")


class TelephoneScheduleDetailsOut(_DetailsOut):
    windows: list[ScheduleWindowOut]
    max_call_minutes: int | None


class SinglePointOfContactDetailsOut(_DetailsOut):
    officer_id: str
    name: str
    phone: str | None
    email: str | None


class BehaviourContractDetailsOut(_DetailsOut):
    terms: str
    signed_on: date | None


class ReadAndFileDetailsOut(_DetailsOut):
    channels: list[Channel]


class ContactQuotaDetailsOut(_DetailsOut):
    channel: Channel
    limit: int
    period: QuotaPeriod


class SocialMediaPostOut(_DetailsOut):
    url: str | None
    posted_at: datetime | None
    description: str


class SocialMediaBlockDetailsOut(_DetailsOut):
    platform: str
    account: str
    posts: list[SocialMediaPostOut]
