"""Tokens signed as a provider would sign them, and clocks a test can move forward."""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from tests.identity.idp import SigningKey

AUDIENCE = "api://contact-restrictions"


class Clock:
    """time.monotonic, movable forward: cooldowns and staleness without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


class WallClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def claims_for(issuer: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": "f3b1c2d4-0000-4000-8000-000000000001",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "azp": "crm",
        "name": "Team Leader One",
        "realm_access": {"roles": ["crs-team-leader", "offline_access"]},
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key: SigningKey, claims: dict[str, Any], **header: Any) -> str:
    alg = "ES256" if isinstance(key, ECKey) else "RS256"
    return jwt.encode({"alg": alg, "kid": key.kid, **header}, claims, key)
