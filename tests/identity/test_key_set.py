"""The key set over real HTTP: rotation, one refetch per unknown kid then the cooldown, a
provider down at start or mid-run, and no caller waiting on it beyond the bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from app.identity import IdentityConfig, Refusal, TokenRejected
from tests.identity.conftest import Keys, Start
from tests.identity.helpers import Clock, claims_for, sign
from tests.identity.idp import IdentityProvider


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_discovery_then_the_key_set_at_start(
    start: Start, config: IdentityConfig, idp: IdentityProvider
) -> None:
    auth = await start(config)
    assert idp.requests[idp.discovery_path] == 1
    assert idp.jwks_fetches == 1
    status = auth.status()
    assert status.ready and not status.stale
    assert status.keys == 1
    assert status.last_success is not None and status.last_error is None


async def test_an_explicit_jwks_url_skips_discovery(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(replace(config, jwks_url=idp.jwks_url))
    assert idp.requests[idp.discovery_path] == 0
    assert (await auth.authenticate(sign(keys.current, claims_for(idp.issuer)))).subject


async def test_a_discovery_document_for_another_issuer_is_not_trusted(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    idp.advertised_issuer = "https://evil.example.com"
    auth = await start(config)
    assert not auth.status().ready
    assert auth.status().last_error == "discovery document names another issuer"
    with pytest.raises(TokenRejected):
        await auth.authenticate(sign(keys.current, claims_for(idp.issuer)))


async def test_encryption_keys_in_the_set_are_not_used_to_verify(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    enc = keys.next.as_dict(private=False) | {"use": "enc", "alg": "RSA-OAEP"}
    idp.publish(keys.current, extra=[enc])
    auth = await start(config)
    assert auth.status().keys == 1
    with pytest.raises(TokenRejected) as refused:
        await auth.authenticate(sign(keys.next, claims_for(idp.issuer)))
    assert refused.value.reason == Refusal.UNKNOWN_KEY


async def test_an_unknown_kid_refetches_once_then_waits_for_the_cooldown(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    clock = Clock()
    auth = await start(replace(config, refetch_cooldown_seconds=30.0), clock=clock)
    assert idp.jwks_fetches == 1
    forged = [sign(keys.stranger, claims_for(idp.issuer), kid=f"random-{n}") for n in range(5)]

    for token in forged:
        with pytest.raises(TokenRejected) as refused:
            await auth.authenticate(token)
        assert refused.value.reason == Refusal.UNKNOWN_KEY
    assert idp.jwks_fetches == 2

    clock.offset += 31
    with pytest.raises(TokenRejected):
        await auth.authenticate(forged[0])
    assert idp.jwks_fetches == 3


async def test_concurrent_unknown_kids_share_one_refetch(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    forged = [sign(keys.stranger, claims_for(idp.issuer), kid=f"random-{n}") for n in range(20)]
    results = await asyncio.gather(
        *(auth.authenticate(token) for token in forged), return_exceptions=True
    )
    assert all(isinstance(result, TokenRejected) for result in results)
    assert idp.jwks_fetches == 2


async def test_key_rotation_is_picked_up_without_a_restart(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(replace(config, refresh_seconds=0.05))
    old = sign(keys.current, claims_for(idp.issuer))
    assert (await auth.authenticate(old)).roles == {"team_leader"}

    # The provider publishes its next key and starts signing with it.
    idp.publish(keys.current, keys.next)
    new = sign(keys.next, claims_for(idp.issuer))
    assert (await auth.authenticate(new)).roles == {"team_leader"}

    # Then withdraws the old one: the background refresh drops it.
    idp.publish(keys.next)
    await eventually(lambda: auth.status().keys == 1)
    with pytest.raises(TokenRejected) as refused:
        await auth.authenticate(sign(keys.current, claims_for(idp.issuer, sub="someone-else")))
    assert refused.value.reason == Refusal.UNKNOWN_KEY


async def test_unreachable_at_start_fails_closed_then_recovers(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    idp.stop()
    auth = await start(replace(config, refresh_seconds=0.05))
    status = auth.status()
    assert not status.ready
    assert status.last_success is None and status.last_error == "ConnectError"
    token = sign(keys.current, claims_for(idp.issuer))
    with pytest.raises(TokenRejected) as refused:
        await auth.authenticate(token)
    assert refused.value.reason == Refusal.KEYS_UNAVAILABLE

    idp.start()
    await eventually(lambda: auth.status().ready)
    assert (await auth.authenticate(token)).roles == {"team_leader"}
    assert not auth.status().stale


async def test_unreachable_mid_run_keeps_the_last_good_set_for_a_bounded_time(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    clock = Clock()
    auth = await start(replace(config, max_stale_seconds=600.0), clock=clock)
    idp.stop()
    assert await auth.keys.refresh() is False

    status = auth.status()
    assert status.ready and status.stale
    assert status.keys == 1 and status.last_error == "ConnectError"
    fresh = sign(keys.current, claims_for(idp.issuer, sub="not-yet-cached"))
    assert (await auth.authenticate(fresh)).subject == "not-yet-cached"

    clock.offset += 601
    assert not auth.status().ready
    with pytest.raises(TokenRejected) as refused:
        await auth.authenticate(sign(keys.current, claims_for(idp.issuer, sub="later")))
    assert refused.value.reason == Refusal.KEYS_UNAVAILABLE


async def test_no_caller_waits_on_a_hanging_provider_beyond_the_bound(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    bound = 0.3
    auth = await start(replace(config, fetch_timeout_seconds=bound))
    idp.hang.set()
    began = time.monotonic()
    with pytest.raises(TokenRejected):
        await auth.authenticate(sign(keys.next, claims_for(idp.issuer)))
    assert time.monotonic() - began < bound + 1.0
    # Signature checks against the cached set do not wait at all.
    assert (await auth.authenticate(sign(keys.current, claims_for(idp.issuer)))).subject
