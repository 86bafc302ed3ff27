"""The OIDC_* settings, as an operator writes them in the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from app.identity import IdentityConfig
from app.settings import Settings


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        OIDC_ISSUER="https://login.microsoftonline.com/t/v2.0",
        OIDC_AUDIENCE="api://crs",
        OIDC_PROVIDER="entra",
        OIDC_ALGORITHMS="RS256, PS256",
        OIDC_ROLE_MAP='{"CRS.TeamLeader": "team_leader"}',
    )
    config = IdentityConfig.from_settings(settings)
    assert config is not None
    assert config.algorithms == ("RS256", "PS256")
    assert dict(config.role_map) == {"CRS.TeamLeader": "team_leader"}
    assert config.discovery_url == (
        "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration"
    )


def test_no_issuer_means_no_identity_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    assert IdentityConfig.from_settings(_settings(monkeypatch, OIDC_ISSUER="")) is None


def test_an_issuer_without_an_audience_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="OIDC_AUDIENCE"):
        IdentityConfig.from_settings(_settings(monkeypatch, OIDC_ISSUER="https://idp"))


@pytest.mark.parametrize("algorithms", ["HS256", "none", "RS256,HS512", ""])
def test_only_asymmetric_algorithms_can_be_enabled(
    monkeypatch: pytest.MonkeyPatch, algorithms: str
) -> None:
    with pytest.raises(ValidationError):
        _settings(monkeypatch, OIDC_ALGORITHMS=algorithms)


@pytest.mark.parametrize("role_map", ["not json", '["a"]', '{"": "reader"}', '{"A": ""}'])
def test_a_bad_role_map_is_refused(monkeypatch: pytest.MonkeyPatch, role_map: str) -> None:
    # Text that is not JSON fails in the environment source, before validation.
    with pytest.raises((ValidationError, SettingsError), match="oidc_role_map"):
        _settings(monkeypatch, OIDC_ROLE_MAP=role_map)
