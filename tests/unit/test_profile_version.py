"""A profile's version identifies its rules: comments and layout do not change it, any value
does, and the two councils' profiles differ."""

from __future__ import annotations

import tomllib
from pathlib import Path

from app.domain.policy.profile import data_version, load_profile, parse_profile
from app.domain.vocabulary import PolicyProfileName

PROFILES = Path(__file__).resolve().parents[2] / "app" / "domain" / "policy" / "profiles"


def test_comments_and_layout_leave_the_version_alone() -> None:
    text = (PROFILES / "flintshire.toml").read_text(encoding="utf-8")
    reflowed = "# a new comment\n\n" + text.replace(" = ", "   =   ")
    assert (
        data_version(tomllib.loads(reflowed)) == load_profile(PolicyProfileName.FLINTSHIRE).version
    )


def test_any_changed_rule_changes_the_version() -> None:
    raw = tomllib.loads((PROFILES / "wrexham.toml").read_text(encoding="utf-8"))
    before = parse_profile(raw, "wrexham.toml").version
    raw["appeal_working_days"] = 21
    assert parse_profile(raw, "wrexham.toml").version != before


def test_the_two_councils_profiles_have_different_versions() -> None:
    versions = {load_profile(name).version for name in PolicyProfileName}
    assert len(versions) == len(PolicyProfileName) and "" not in versions
