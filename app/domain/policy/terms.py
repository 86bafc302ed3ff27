"""Pure checks of an imposition or variation against the policy (no I/O)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime

from app.domain.details import ContactQuotaDetails, MarkerDetails, SocialMediaBlockDetails
from app.domain.markers import Marker
from app.domain.policy.profile import PolicyProfile
from app.domain.time.london import to_london
from app.domain.vocabulary import INFORMAL_KINDS, MarkerKind


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to the month's end
    (31 August + 6 months is 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def latest_review_date(profile: PolicyProfile, decided_at: datetime) -> date:
    """Reviews fall no more than six calendar months after the decision (London date)."""
    return add_months(to_london(decided_at).date(), profile.review_within_months)


def default_review_date(
    profile: PolicyProfile, kind: MarkerKind, decided_at: datetime, review_due: date | None
) -> date | None:
    """The review date a decision gets when none is given: a formal restriction is
    reviewed at the latest the policy allows, so a caller that leaves it out still meets
    the policy; the informal suspension has none."""
    if review_due is not None or kind in INFORMAL_KINDS:
        return review_due
    return latest_review_date(profile, decided_at)


def suspension_end(profile: PolicyProfile, starts_at: datetime) -> datetime | None:
    """Where the profile gives a suspension a default length (Flintshire: one day)."""
    if profile.telephone_suspension_default is None:
        return None
    return starts_at + profile.telephone_suspension_default


def check_terms(
    profile: PolicyProfile,
    kind: MarkerKind,
    decided_at: datetime,
    starts_at: datetime,
    ends_at: datetime | None,
    review_due: date | None,
    *,
    end_defaulted: bool = False,
) -> list[tuple[str, str]]:
    """Every way these terms break the policy, as (field, reason); empty when they are fine.
    `end_defaulted` says `ends_at` was not given but follows from the profile's default
    length, so a fault in it is a fault in `starts_at`, the field the caller sent."""
    faults: list[tuple[str, str]] = []
    if kind not in profile.kinds:
        faults.append(
            ("kind", f"{kind.value} is not a restriction the {profile.council} policy provides")
        )
    if ends_at is not None and ends_at <= starts_at:
        faults.append(("ends_at", "must be after starts_at"))
    if ends_at is not None and ends_at <= decided_at:
        if end_defaulted:
            length = ends_at - starts_at
            hours = int(length.total_seconds() // 3600)
            faults.append(
                (
                    "starts_at",
                    f"is more than {hours} hours ago: with no ends_at a telephone suspension "
                    f"lasts {hours} hours from starts_at under the {profile.council} policy, "
                    "so it would already have ended; give a later starts_at, or an ends_at",
                )
            )
        else:
            faults.append(("ends_at", "is already past: the marker would never be in force"))
    if kind is MarkerKind.TELEPHONE_SUSPENSION and ends_at is None:
        faults.append(("ends_at", "a telephone suspension must say when it ends"))
    if kind not in INFORMAL_KINDS:
        if review_due is None:
            faults.append(("review_due", "formal restrictions must give a review date"))
        else:
            latest = latest_review_date(profile, decided_at)
            if review_due > latest:
                faults.append(
                    (
                        "review_due",
                        f"must be no more than {profile.review_within_months} months after the "
                        f"decision, so on or before {latest.isoformat()}",
                    )
                )
            if review_due < to_london(decided_at).date():
                faults.append(("review_due", "must not be before the decision"))
    return faults


def _same_subject(a: MarkerDetails, b: MarkerDetails) -> bool:
    """Two markers of one kind restrict the same thing, except where the details name
    what is restricted: a phone quota and an email quota, or blocks of two different
    social media accounts, stand side by side as a matter of course."""
    if isinstance(a, ContactQuotaDetails) and isinstance(b, ContactQuotaDetails):
        return a.channel == b.channel
    if isinstance(a, SocialMediaBlockDetails) and isinstance(b, SocialMediaBlockDetails):
        return (a.platform.casefold(), a.account.casefold()) == (
            b.platform.casefold(),
            b.account.casefold(),
        )
    return True


def _services_overlap(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    """No services means the whole council, which overlaps every service."""
    if a is None or b is None:
        return True
    return bool({s.casefold() for s in a} & {s.casefold() for s in b})


def duplicates(existing: Iterable[Marker], proposed: Marker, now: datetime) -> list[Marker]:
    """The markers already recorded that `proposed` would silently add to: of the same
    kind, about the same subject, not lifted or ended, in force for some of the same time,
    and covering some of the same services. A second marker of a kind is combined with the
    first at read time (two schedules intersect, so Tuesday-only and Thursday-only never
    allow a call), which is seldom what the decision maker meant."""
    found: list[Marker] = []
    for marker in existing:
        if marker.id == proposed.id or marker.kind is not proposed.kind:
            continue
        if marker.lifted_at is not None or (marker.ends_at is not None and marker.ends_at <= now):
            continue
        if proposed.ends_at is not None and proposed.ends_at <= marker.starts_at:
            continue
        if marker.ends_at is not None and marker.ends_at <= proposed.starts_at:
            continue
        if not _services_overlap(marker.services, proposed.services):
            continue
        if _same_subject(marker.details, proposed.details):
            found.append(marker)
    return found
