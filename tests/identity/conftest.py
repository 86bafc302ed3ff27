"""Keys made here, a real provider on loopback, and tokens signed as a provider would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from app.identity import Authenticator, IdentityConfig
from tests.identity.helpers import AUDIENCE
from tests.identity.idp import IdentityProvider


@dataclass
class Keys:
    current: RSAKey
    next: RSAKey
    stranger: RSAKey
    ec: ECKey


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(
        current=RSAKey.generate_key(2048, {"kid": "key-2025", "use": "sig", "alg": "RS256"}),
        next=RSAKey.generate_key(2048, {"kid": "key-2026", "use": "sig", "alg": "RS256"}),
        stranger=RSAKey.generate_key(2048, {"kid": "key-elsewhere"}),
        ec=ECKey.generate_key("P-256", {"kid": "key-ec", "use": "sig"}),
    )


@pytest.fixture
def idp(keys: Keys) -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    provider.publish(keys.current)
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def config(idp: IdentityProvider) -> IdentityConfig:
    return IdentityConfig(
        issuer=idp.issuer,
        audience=AUDIENCE,
        provider="keycloak",
        client_id="contact-restrictions",
        role_map={"crs-team-leader": "team_leader", "crs-reader": "reader"},
        fetch_timeout_seconds=1.0,
    )


Start = Callable[..., Any]


@pytest.fixture
async def start(idp: IdentityProvider) -> AsyncIterator[Start]:
    """Builds and starts an Authenticator; every one is closed at the end of the test,
    before the provider stops (so no refresh is caught half-way by a stopped loop)."""
    started: list[Authenticator] = []

    async def _start(config: IdentityConfig, **kwargs: Any) -> Authenticator:
        authenticator = Authenticator(config, **kwargs)
        started.append(authenticator)
        await authenticator.start()
        return authenticator

    yield _start
    for authenticator in started:
        await authenticator.aclose()
