"""The [lifecycle] table of a profile is checked at load, naming the file and the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from app.domain.lifecycle.policy import parse_lifecycle
from app.domain.policy.access import ProfileError
from app.domain.policy.profile import load_profile
from app.domain.vocabulary import PolicyProfileName

_DIR = Path("app/domain/policy/profiles")


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    return dict(data["lifecycle"])


@pytest.mark.parametrize(
    ("profile", "change", "message"),
    [
        ("flintshire", {"appeal_to": "chief_executive"}, "appeal_to: unknown staff role"),
        ("flintshire", {"appeal_to": "reader"}, "appeal_to: unknown staff role 'reader'"),
        (
            "flintshire",
            {"steps": ["incident", "review", "appeal"]},
            "steps: must include formal_decision",
        ),
        (
            "flintshire",
            {"steps": ["incident", "formal_decision", "review", "appeal", "jump"]},
            "steps: unknown step 'jump'",
        ),
        ("flintshire", {"active_contact_days": 0}, "active_contact_days: must be at least 1"),
        ("flintshire", {"social_media_reviewers": True}, "social_media_reviewers: must be a int"),
        ("flintshire", {"lapse_at_review": "no"}, "lapse_at_review: must be a bool"),
        ("flintshire", {"council_behaviours": ["doxing"]}, "council_behaviours: 'doxing'"),
        ("flintshire", {"behaviour_categories": ["rudeness"]}, "behaviour_categories: unknown"),
        ("flintshire", {"review_by": "ccsm"}, "review_by: unknown key"),
        (
            "wrexham",
            {"chief_officer_referral_to": "service_manager"},
            "chief_officer_referral_to: must be given exactly",
        ),
        ("wrexham", {"appeal_involved_roles": []}, "appeal_involved_roles: must name roles"),
    ],
)
def test_a_mistake_in_the_lifecycle_table_names_the_file_and_key(
    profile: str, change: dict[str, Any], message: str
) -> None:
    data = raw(profile) | change
    with pytest.raises(
        ProfileError, match=rf"^{profile}\.toml: \[lifecycle\] {message}".replace("(", r"\(")
    ):
        parse_lifecycle(data, load_profile(PolicyProfileName(profile)), f"{profile}.toml")


def test_a_profile_without_the_table_is_refused() -> None:
    with pytest.raises(ProfileError, match=r"wrexham\.toml: \[lifecycle\]: missing"):
        parse_lifecycle(None, load_profile(PolicyProfileName.WREXHAM), "wrexham.toml")
