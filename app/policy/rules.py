"""Pure checks of an imposition or variation against the policy (no I/O)."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from app.contact_check.london import to_london
from app.policy.profile import PolicyProfile
from app.restrictions.kinds import INFORMAL_KINDS, MarkerKind


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


def check_terms(
    profile: PolicyProfile,
    kind: MarkerKind,
    decided_at: datetime,
    starts_at: datetime,
    ends_at: datetime | None,
    review_due: date | None,
) -> list[tuple[str, str]]:
    """Every way these terms break the policy, as (field, reason); empty when they are fine."""
    faults: list[tuple[str, str]] = []
    if kind not in profile.kinds:
        faults.append(
            ("kind", f"{kind.value} is not a restriction the {profile.council} policy provides")
        )
    if ends_at is not None and ends_at <= starts_at:
        faults.append(("ends_at", "must be after starts_at"))
    if ends_at is not None and ends_at <= decided_at:
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
