"""The lifecycle rules that differ between councils, read from the `[lifecycle]` table of each
profile (app/domain/policy/profiles/*.toml) and checked at load like the matrix is: a mistake
names the file and the key, and stops the service rather than quietly changing a rule."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from app.domain.lifecycle.incidents import (
    COUNCIL_SPECIFIC_BEHAVIOURS,
    Behaviour,
    BehaviourCategory,
    available_behaviours,
)
from app.domain.lifecycle.ladder import CORE_STEPS, Step
from app.domain.policy.access import ProfileError
from app.domain.policy.profile import PolicyProfile, load_profile
from app.domain.vocabulary import PolicyProfileName, Role

_PROFILES = Path(__file__).parent.parent / "policy" / "profiles"

_KEYS = frozenset(
    {
        "steps",
        "telephone_restriction_requires_terminated_call",
        "terminated_call_report_to",
        "referral_to",
        "chief_officer_referral_to",
        "behaviour_categories",
        "council_behaviours",
        "active_contact_days",
        "lapse_at_review",
        "social_media_reviewers",
        "appeal_to",
        "appeal_to_when_involved",
        "appeal_involved_roles",
        "ombudsman",
    }
)


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    steps: frozenset[Step]
    telephone_restriction_requires_terminated_call: bool
    # Who hears of a terminated call (Flintshire: Team Leader/Manager; Wrexham: line manager).
    terminated_call_report_to: Role
    referral_to: Role
    chief_officer_referral_to: Role | None
    behaviour_categories: frozenset[BehaviourCategory]
    behaviours: frozenset[Behaviour]
    # "Active contact": a recorded contact within this long before the review.
    active_contact_window: timedelta
    # A restriction ends at its review date unless renewed (ombudsman guidance).
    lapse_at_review: bool
    social_media_reviewers: int
    appeal_to: Role
    # Wrexham 7.3: where one of these roles was involved, the appeal goes here instead.
    appeal_to_when_involved: Role | None
    appeal_involved_roles: frozenset[Role]
    ombudsman: str
    # Copied from the profile so the lifecycle reads one value.
    appeal_working_days: int
    review_within_months: int


def _fail(source: str, key: str, message: str) -> ProfileError:
    return ProfileError(f"{source}: [lifecycle] {key}: {message}")


def parse_lifecycle(raw: Any, profile: PolicyProfile, source: str) -> LifecyclePolicy:
    if not isinstance(raw, Mapping):
        raise ProfileError(f"{source}: [lifecycle]: missing: the profile must give its lifecycle")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _fail(source, unknown[0], "unknown key")
    roles = profile.access.staff_roles

    def value(key: str, kind: type, *, optional: bool = False) -> Any:
        if key not in raw:
            if optional:
                return None
            raise _fail(source, key, "missing")
        got = raw[key]
        # bool is an int to Python; a count must not be written `true`.
        if not isinstance(got, kind) or (kind is int and isinstance(got, bool)):
            raise _fail(source, key, f"must be a {kind.__name__}")
        return got

    def role(key: str, *, optional: bool = False) -> Role | None:
        name: str | None = value(key, str, optional=optional)
        if name is not None and name not in roles:
            raise _fail(source, key, f"unknown staff role {name!r}")
        return name

    def names(key: str) -> list[str]:
        got = value(key, list)
        if not all(isinstance(v, str) for v in got) or len(set(got)) != len(got):
            raise _fail(source, key, "must be a list of names, each once")
        return list(got)

    def count(key: str) -> int:
        got: int = value(key, int)
        if got < 1:
            raise _fail(source, key, "must be at least 1")
        return got

    steps: set[Step] = set()
    for name in names("steps"):
        try:
            steps.add(Step(name))
        except ValueError:
            raise _fail(source, "steps", f"unknown step {name!r}") from None
    lacking = sorted(CORE_STEPS - steps)
    if lacking:
        raise _fail(source, "steps", f"must include {lacking[0].value}: every ladder has it")

    categories: set[BehaviourCategory] = set()
    for name in names("behaviour_categories"):
        try:
            categories.add(BehaviourCategory(name))
        except ValueError:
            raise _fail(source, "behaviour_categories", f"unknown category {name!r}") from None
    extra: set[Behaviour] = set()
    for name in names("council_behaviours"):
        if name not in {b.value for b in COUNCIL_SPECIFIC_BEHAVIOURS}:
            raise _fail(
                source,
                "council_behaviours",
                f"{name!r} is not a behaviour only some councils list",
            )
        extra.add(Behaviour(name))

    chief = role("chief_officer_referral_to", optional=True)
    if (chief is None) != (Step.CHIEF_OFFICER_REFERRAL not in steps):
        raise _fail(
            source,
            "chief_officer_referral_to",
            "must be given exactly when steps include chief_officer_referral",
        )
    escalated = role("appeal_to_when_involved", optional=True)
    involved = frozenset(names("appeal_involved_roles")) if "appeal_involved_roles" in raw else None
    if (escalated is None) != (involved is None or not involved):
        raise _fail(
            source,
            "appeal_involved_roles",
            "must name roles exactly when appeal_to_when_involved is given",
        )
    for name in sorted(involved or ()):
        if name not in roles:
            raise _fail(source, "appeal_involved_roles", f"unknown staff role {name!r}")
    ombudsman = value("ombudsman", str)
    if not ombudsman.strip():
        raise _fail(source, "ombudsman", "must name the ombudsman")

    terminated = role("terminated_call_report_to")
    referral = role("referral_to")
    appeal = role("appeal_to")
    assert terminated is not None and referral is not None and appeal is not None
    return LifecyclePolicy(
        steps=frozenset(steps),
        telephone_restriction_requires_terminated_call=value(
            "telephone_restriction_requires_terminated_call", bool
        ),
        terminated_call_report_to=terminated,
        referral_to=referral,
        chief_officer_referral_to=chief,
        behaviour_categories=frozenset(categories),
        behaviours=available_behaviours(categories, extra),
        active_contact_window=timedelta(days=count("active_contact_days")),
        lapse_at_review=value("lapse_at_review", bool),
        social_media_reviewers=count("social_media_reviewers"),
        appeal_to=appeal,
        appeal_to_when_involved=escalated,
        appeal_involved_roles=involved or frozenset(),
        ombudsman=ombudsman.strip(),
        appeal_working_days=profile.appeal_working_days,
        review_within_months=profile.review_within_months,
    )


@cache
def load_lifecycle(name: PolicyProfileName) -> LifecyclePolicy:
    path = _PROFILES / f"{name.value}.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return parse_lifecycle(raw.get("lifecycle"), load_profile(name), path.name)


def with_lapse(policy: LifecyclePolicy, lapse_at_review: bool | None) -> LifecyclePolicy:
    """The deployment's override of the profile's `lapse_at_review` (None: the profile's own
    value). Both councils' policies leave it out; a council adopting the ombudsman's
    guidance turns it on without a new profile."""
    if lapse_at_review is None or lapse_at_review == policy.lapse_at_review:
        return policy
    return replace(policy, lapse_at_review=lapse_at_review)
