"""The verified-token cache the hot reads consult."""

from __future__ import annotations

import time

import pytest

from app.identity import (
    IdentityConfig,
    Refusal,
    TokenRejected,
    VerifiedPrincipal,
    VerifiedTokenCache,
)
from tests.identity.conftest import Keys, Start
from tests.identity.helpers import WallClock, claims_for, sign
from tests.identity.idp import IdentityProvider


def _principal(subject: str) -> VerifiedPrincipal:
    return VerifiedPrincipal(subject, None, False, None, frozenset({"reader"}))


async def test_a_hit_returns_the_same_principal_without_verifying_again(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    token = sign(keys.current, claims_for(idp.issuer))
    first = auth.verify(token)
    assert auth.cache.get(token) is first
    assert auth.verify(token) is first


async def test_an_expired_token_is_not_returned(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    wall = WallClock()
    auth = await start(config, now=wall)
    token = sign(keys.current, claims_for(idp.issuer, exp=int(time.time()) + 60))
    assert auth.verify(token).subject
    wall.offset += 61
    assert auth.cache.get(token) is None
    with pytest.raises(TokenRejected) as refused:
        auth.verify(token)
    assert refused.value.reason == Refusal.EXPIRED


def test_entries_live_no_longer_than_the_max_ttl() -> None:
    wall = WallClock()
    cache = VerifiedTokenCache(10, 120.0, now=wall)
    cache.put("token", _principal("a"), expires_at=wall() + 3600)
    wall.offset += 119
    assert cache.get("token") is not None
    wall.offset += 2
    assert cache.get("token") is None


def test_an_already_expired_token_is_not_stored() -> None:
    cache = VerifiedTokenCache(10, 120.0)
    cache.put("token", _principal("a"), expires_at=time.time() - 1)
    assert len(cache) == 0


def test_the_bound_is_respected_oldest_out_first() -> None:
    cache = VerifiedTokenCache(3, 300.0)
    for n in range(5):
        cache.put(f"token-{n}", _principal(f"p{n}"), expires_at=time.time() + 60)
    assert len(cache) == 3
    assert cache.get("token-0") is None and cache.get("token-1") is None
    assert [cache.get(f"token-{n}") for n in (2, 3, 4)] == [
        _principal("p2"),
        _principal("p3"),
        _principal("p4"),
    ]


def test_the_raw_token_is_not_kept() -> None:
    cache = VerifiedTokenCache(3, 300.0)
    cache.put("eyJ.secret.token", _principal("a"), expires_at=time.time() + 60)
    assert all(isinstance(key, bytes) and b"secret" not in key for key in cache._entries)


async def test_a_token_refused_for_good_is_refused_again_from_the_cache(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    """A client repeating a badly signed token costs a hash, not a signature check: the
    second refusal comes from the cache, even once the signature check would pass."""
    auth = await start(config)
    token = sign(keys.stranger, claims_for(idp.issuer), kid=keys.current.kid)
    for _ in range(2):
        with pytest.raises(TokenRejected) as refused:
            auth.verify(token)
        assert refused.value.reason == Refusal.BAD_SIGNATURE
    assert auth.refused.get(token) == Refusal.BAD_SIGNATURE


async def test_a_token_not_yet_valid_is_accepted_once_it_is(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    wall = WallClock()
    auth = await start(config, now=wall)
    token = sign(keys.current, claims_for(idp.issuer, nbf=int(time.time()) + 120))
    with pytest.raises(TokenRejected) as refused:
        auth.verify(token)
    assert refused.value.reason == Refusal.NOT_YET_VALID
    wall.offset = 121
    assert auth.verify(token).subject
