"""LAPSE_AT_REVIEW, as an operator writes it in the environment: the profile's own value
unless overridden, and a word it does not know stops the service at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


def _settings(monkeypatch: pytest.MonkeyPatch, value: str | None) -> Settings:
    if value is None:
        monkeypatch.delenv("LAPSE_AT_REVIEW", raising=False)
    else:
        monkeypatch.setenv("LAPSE_AT_REVIEW", value)
    return Settings(_env_file=None)


@pytest.mark.parametrize(
    ("value", "override"),
    [(None, None), ("profile", None), ("true", True), ("TRUE", True), (" false ", False)],
)
def test_the_profile_decides_unless_the_deployment_overrides(
    monkeypatch: pytest.MonkeyPatch, value: str | None, override: bool | None
) -> None:
    assert _settings(monkeypatch, value).lapse_override is override


def test_an_unknown_word_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="lapse_at_review"):
        _settings(monkeypatch, "yes")
