"""One Settings object, read once from the environment (and an optional `.env`)."""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.domain.vocabulary import PolicyProfileName

# A browser's Origin: scheme, host, optional port. No wildcard: the answers carry personal
# data, so each CRM origin is named.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")

# Asymmetric only: an HMAC algorithm would let anyone holding the published key sign.
_SIGNING_ALGORITHMS = ("RS256", "ES256", "PS256")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: `make run` and the tests start an embedded server.",
    )
    policy_profile: PolicyProfileName = PolicyProfileName.FLINTSHIRE
    data_dir: Path = Path(".data")
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)
    web_concurrency: int = Field(default=1, ge=1, le=64)
    log_level: str = "INFO"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_connect_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    db_statement_timeout_seconds: float = Field(default=5.0, gt=0, le=600)
    heartbeat_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    stale_after_seconds: float = Field(default=5.0, gt=0, le=3600)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=16_777_216)

    # Time budgets that keep every answer prompt whatever the database does (a contact
    # centre gives up after about 3 s and then routes as if no restriction existed).
    read_db_budget_seconds: float = Field(default=0.3, gt=0, le=10)
    write_db_budget_seconds: float = Field(default=0.6, gt=0, le=60)

    # The ombudsman's "lapse unless renewed at review" (docs/domain.md: reviews): "profile"
    # keeps the policy profile's own `lapse_at_review` (off for both councils); "true" or
    # "false" overrides it for this deployment.
    lapse_at_review: Literal["profile", "true", "false"] = "profile"

    @field_validator("lapse_at_review", mode="before")
    @classmethod
    def _lapse_word(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def lapse_override(self) -> bool | None:
        return None if self.lapse_at_review == "profile" else self.lapse_at_review == "true"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split("://", 1)[0]
        if scheme not in {"postgresql", "postgres", "postgresql+asyncpg"}:
            raise ValueError("must be a postgresql:// URL (PostgreSQL is the only database)")
        return value

    # Settings of the HTTP edges and local processes (issue 12, items 5 and 6).
    keep_embedded_postgres: bool = Field(
        default=False,
        description="`make run` leaves its embedded PostgreSQL running when it stops.",
    )
    body_read_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # `make run`'s local token issuer (development only). Fixed, so the issuer string in the
    # tokens `crs dev-token` prints is the one the running service expects.
    dev_issuer_port: int = Field(default=8001, ge=1, le=65535)
    cors_allow_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # /docs keeps a token pasted under Authorize through a reload, in the browser's local
    # storage, where any page of this origin can read it and it outlives the session: a
    # development aid (`make run` turns it on), off in production, where staff may share a
    # browser.
    docs_persist_authorization: bool = False

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for origin in value:
                if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
                    raise ValueError(
                        "must be a comma-separated list of origins such as "
                        "https://crm.example.gov.uk (scheme, host and optional port; no path, "
                        "no wildcard)"
                    )
        return value

    # Bearer-token verification (issue 14). Unset OIDC_ISSUER: no identity provider is
    # configured. The key set comes from OIDC discovery on the issuer, or from OIDC_JWKS_URL.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: Annotated[tuple[str, ...], NoDecode] = ("RS256",)
    oidc_provider: Literal["entra", "keycloak", "generic"] = "generic"
    # The provider's role names (named by each council's IT) to the policy profile's roles.
    oidc_role_map: dict[str, str] = Field(default_factory=dict)
    oidc_name_claim: str = Field(default="name", min_length=1)
    oidc_client_id: str | None = None
    oidc_jwks_refresh_seconds: float = Field(default=300.0, gt=0, le=86_400)
    oidc_jwks_refetch_cooldown_seconds: float = Field(default=30.0, ge=0, le=3600)
    # How long the last good key set is used while refreshes fail; past it, tokens are refused.
    oidc_jwks_max_stale_seconds: float = Field(default=3600.0, gt=0, le=7 * 86_400)
    oidc_fetch_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    oidc_max_token_bytes: int = Field(default=8192, ge=512, le=65_536)
    oidc_token_cache_max_entries: int = Field(default=10_000, ge=1, le=1_000_000)
    oidc_token_cache_max_ttl_seconds: float = Field(default=300.0, gt=0, le=86_400)

    # Events (issue 16): the outbox's dispatcher and its webhooks.
    event_source: str | None = Field(
        default=None,
        description="CloudEvents `source` of every event; unset: urn:contact-restrictions:<profile>.",
    )
    dispatcher_enabled: bool = True
    # A benchmark and diagnostic switch, never for production: false writes no event to the
    # outbox (every change is still recorded and announced to the replicas), so that
    # `make bench` can measure what the outbox costs the write path.
    events_outbox_enabled: bool = True
    # The dispatcher wakes on NOTIFY, and polls at least this often whatever it hears.
    dispatcher_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    dispatcher_concurrency: int = Field(default=64, ge=1, le=256)
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    # Multiplies every delay of the retry schedule (app/domain/events/retry.py): tests
    # shorten it; production keeps 1.
    webhook_retry_scale: float = Field(default=1.0, gt=0, le=1)
    # Webhooks must be https; off only for development and tests on loopback.
    webhook_require_https: bool = True
    # Private, loopback and link-local addresses are refused, when subscribing and again at
    # each delivery (SSRF), unless this allows them (development and tests).
    webhook_allow_private_addresses: bool = False
    # A PEM bundle of certificate authorities to trust for webhook endpoints, as well as the
    # usual ones (a council's own CA for its CRM's endpoint).
    webhook_ca_file: Path | None = None
    # After this many events in a row fail for good, the endpoint is disabled.
    webhook_disable_after_failed_events: int = Field(default=5, ge=1, le=1000)
    # Keys sealing the webhook signing secrets at rest (app/webhooks/secret_box.py): comma-
    # separated, each 32 random bytes in base64 (`crs new-secrets-key`); the first seals,
    # every one opens. `crs serve` will not start without one.
    webhook_secrets_keys: SecretStr | None = None
    # After a rotation the old secret signs too, for this long.
    webhook_rotation_overlap_seconds: float = Field(default=86_400.0, ge=0, le=30 * 86_400)
    # How far back the dispatcher looks for markers that ended by time without their event
    # (an outage longer than this loses those expiry events; the markers still end).
    event_expiry_lookback_seconds: float = Field(default=7 * 86_400.0, gt=0, le=90 * 86_400)

    @field_validator("oidc_issuer", "oidc_audience", "oidc_jwks_url", "oidc_client_id")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("oidc_algorithms", mode="before")
    @classmethod
    def _algorithms(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            if not value:
                raise ValueError("must name at least one algorithm")
            for name in value:
                if name not in _SIGNING_ALGORITHMS:
                    raise ValueError(
                        "must be a comma-separated list of " + ", ".join(_SIGNING_ALGORITHMS)
                    )
        return value

    @field_validator("webhook_secrets_keys")
    @classmethod
    def _sealing_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        seen: set[bytes] = set()
        for number, text in enumerate(value.get_secret_value().split(","), 1):
            try:
                key = decode_sealing_key(text)
            except ValueError as error:
                # Never the key itself in the message.
                raise ValueError(f"key {number}: {error}") from None
            if key in seen:
                raise ValueError(f"key {number} repeats an earlier one")
            seen.add(key)
        return value

    def sealing_keys(self) -> tuple[bytes, ...]:
        """WEBHOOK_SECRETS_KEYS as bytes, the sealing key first; empty when unset."""
        if self.webhook_secrets_keys is None:
            return ()
        texts = self.webhook_secrets_keys.get_secret_value().split(",")
        return tuple(decode_sealing_key(text) for text in texts)

    @field_validator("oidc_role_map")
    @classmethod
    def _role_names(cls, value: dict[str, str]) -> dict[str, str]:
        for source, target in value.items():
            if not source or not target:
                raise ValueError(
                    'must be a JSON object of non-empty role names, e.g. {"CRS.TeamLeader": '
                    '"team_leader"}'
                )
        return value


SEALING_KEY_BYTES = 32


def decode_sealing_key(text: str) -> bytes:
    """A sealing key as configured: 32 bytes in base64 (url-safe or standard, padding
    optional)."""
    cleaned = text.strip().replace("+", "-").replace("/", "_")
    try:
        key = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except ValueError:
        raise ValueError("is not base64") from None
    if len(key) != SEALING_KEY_BYTES:
        raise ValueError(f"is {len(key)} bytes, not {SEALING_KEY_BYTES}")
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
