"""The identity provider's settings as one value, so the verifier can be built without the
environment (the tests build several side by side)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from app.settings import Settings

Provider = Literal["entra", "keycloak", "generic"]

# RFC 7519 lets verifiers allow "a few minutes" for clock skew; the issue fixes 60 s.
LEEWAY_SECONDS = 60


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    issuer: str
    audience: str
    jwks_url: str | None = None
    algorithms: tuple[str, ...] = ("RS256",)
    provider: Provider = "generic"
    role_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    name_claim: str = "name"
    client_id: str | None = None
    refresh_seconds: float = 300.0
    refetch_cooldown_seconds: float = 30.0
    max_stale_seconds: float = 3600.0
    fetch_timeout_seconds: float = 2.0
    max_token_bytes: int = 8192
    cache_max_entries: int = 10_000
    cache_max_ttl_seconds: float = 300.0

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @classmethod
    def from_settings(cls, settings: Settings) -> IdentityConfig | None:
        """None when no issuer is configured; an issuer without an audience is refused,
        since a token minted for any other application of the same tenant would pass."""
        if settings.oidc_issuer is None:
            return None
        if settings.oidc_audience is None:
            raise ValueError("OIDC_AUDIENCE must be set when OIDC_ISSUER is")
        return cls(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            jwks_url=settings.oidc_jwks_url,
            algorithms=settings.oidc_algorithms,
            provider=settings.oidc_provider,
            role_map=MappingProxyType(dict(settings.oidc_role_map)),
            name_claim=settings.oidc_name_claim,
            client_id=settings.oidc_client_id,
            refresh_seconds=settings.oidc_jwks_refresh_seconds,
            refetch_cooldown_seconds=settings.oidc_jwks_refetch_cooldown_seconds,
            max_stale_seconds=settings.oidc_jwks_max_stale_seconds,
            fetch_timeout_seconds=settings.oidc_fetch_timeout_seconds,
            max_token_bytes=settings.oidc_max_token_bytes,
            cache_max_entries=settings.oidc_token_cache_max_entries,
            cache_max_ttl_seconds=settings.oidc_token_cache_max_ttl_seconds,
        )
