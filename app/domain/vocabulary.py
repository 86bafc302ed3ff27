"""Closed sets of the domain (docs/domain.md: vocabulary): channels, marker kinds, directions,
outcomes, and the actions the decision matrix rules on."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in_person"
    ONLINE = "online"
    SOCIAL_MEDIA = "social_media"


ALL_CHANNELS: tuple[Channel, ...] = tuple(Channel)


class MarkerKind(StrEnum):
    TELEPHONE_SUSPENSION = "telephone_suspension"
    CHANNEL_LIMIT = "channel_limit"
    TELEPHONE_SCHEDULE = "telephone_schedule"
    SINGLE_POINT_OF_CONTACT = "single_point_of_contact"
    BEHAVIOUR_CONTRACT = "behaviour_contract"
    READ_AND_FILE = "read_and_file"
    CONTACT_QUOTA = "contact_quota"
    SOCIAL_MEDIA_BLOCK = "social_media_block"


# The short telephone restriction after a terminated call is not a formal decision;
# every other kind is imposed by a formal decision and so must carry a review date.
INFORMAL_KINDS = frozenset({MarkerKind.TELEPHONE_SUSPENSION})


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    ROUTE_TO_CONTACT = "route_to_contact"
    READ_AND_FILE = "read_and_file"


# Most restrictive first: docs/domain.md: vocabulary, combining: "deny beats read_and_file, which beats
# route_to_contact, which beats allow".
OUTCOME_SEVERITY = {
    Outcome.ALLOW: 0,
    Outcome.ROUTE_TO_CONTACT: 1,
    Outcome.READ_AND_FILE: 2,
    Outcome.DENY: 3,
}


class MarkerStatus(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    LIFTED = "lifted"
    EXPIRED = "expired"


class Language(StrEnum):
    EN = "en"
    CY = "cy"


class QuotaPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """0 for Monday, as datetime.weekday() counts."""
        return _WEEKDAY_INDEX[self]


_WEEKDAY_INDEX = {day: i for i, day in enumerate(Weekday)}


# The councils whose policies ship as profiles (app/domain/policy/profiles).
class PolicyProfileName(StrEnum):
    FLINTSHIRE = "flintshire"
    WREXHAM = "wrexham"


class Action(StrEnum):
    """Every operation the decision matrix rules on (docs/domain.md: matrix). `check_contact`
    covers both forms of the contact check and the batch; `evaluate_access` is the dry run
    (`POST /access/v1/evaluation(s)`), which asks the matrix about any roles."""

    READ_RESTRICTIONS = "read_restrictions"
    CHECK_CONTACT = "check_contact"
    READ_MARKER = "read_marker"
    IMPOSE_MARKER = "impose_marker"
    VARY_MARKER = "vary_marker"
    LIFT_MARKER = "lift_marker"
    SET_PREFERENCES = "set_preferences"
    RECORD_CONTACT = "record_contact"
    EVALUATE_ACCESS = "evaluate_access"
    RECORD_INCIDENT = "record_incident"
    READ_INCIDENTS = "read_incidents"
    # The escalation ladder (app/decisions): one action per step, and the case file.
    RECORD_CALL_WARNING = "record_call_warning"
    TERMINATE_CALL = "terminate_call"
    RESTRICT_TELEPHONE = "restrict_telephone"
    SEND_WARNING_LETTER = "send_warning_letter"
    REFER = "refer"
    # Flintshire Appendix 1: the CCSM asks a Chief Officer for guidance, who answers on it.
    REFER_TO_CHIEF_OFFICER = "refer_to_chief_officer"
    ADVISE_ON_REFERRAL = "advise_on_referral"
    MAKE_FORMAL_DECISION = "make_formal_decision"
    # A formal decision that leaves the customer no open inbound channel (least restrictive).
    OVERRIDE_LEAST_RESTRICTIVE = "override_least_restrictive"
    READ_DECISIONS = "read_decisions"
    # Appeals (app/appeals): recording a written appeal received, deciding it, and the
    # annual review of every restriction imposed (Flintshire: for consistency).
    LODGE_APPEAL = "lodge_appeal"
    DECIDE_APPEAL = "decide_appeal"
    READ_ANNUAL_REVIEW = "read_annual_review"
    # Reviewing a formal decision (app/reviews), and the worklist of reviews due and overdue.
    REVIEW_DECISION = "review_decision"
    READ_REVIEWS = "read_reviews"
    # Events (app/events, app/webhooks): reading the feed, and managing webhook subscriptions.
    READ_EVENTS = "read_events"
    MANAGE_SUBSCRIPTIONS = "manage_subscriptions"


# A role's name as a policy profile declares it (profiles/*.toml, [roles]). Not a closed set:
# each council names its own roles, and a token may carry names no profile knows.
Role: TypeAlias = str
