"""One Settings object, read once from the environment (and an optional `.env`)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.domain.vocabulary import PolicyProfileName

# A browser's Origin: scheme, host, optional port. No wildcard: the answers carry personal
# data, so each CRM origin is named.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


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
    cors_allow_origins: Annotated[tuple[str, ...], NoDecode] = ()

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
