"""Hostile tokens, each refused for its own reason, and the good ones accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import replace
from typing import Any

import pytest

from app.identity import IdentityConfig, Refusal, TokenRejected
from tests.identity.conftest import Keys, Start
from tests.identity.helpers import claims_for, sign
from tests.identity.idp import IdentityProvider


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


async def _refusal(authenticate: Any, token: str) -> Refusal:
    with pytest.raises(TokenRejected) as refused:
        await authenticate(token)
    return refused.value.reason


async def test_a_good_token_gives_its_principal(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    principal = await auth.authenticate(sign(keys.current, claims_for(idp.issuer)))
    assert principal.subject == "f3b1c2d4-0000-4000-8000-000000000001"
    assert principal.roles == frozenset({"team_leader"})
    assert principal.display_name == "Team Leader One"


now = int(time.time())


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": now - 5}, Refusal.EXPIRED),
        ({"nbf": now + 600}, Refusal.NOT_YET_VALID),
        ({"iat": now + 600}, Refusal.NOT_YET_VALID),
        ({"aud": "api://another-service"}, Refusal.WRONG_AUDIENCE),
        ({"aud": ["api://another-service"]}, Refusal.WRONG_AUDIENCE),
        ({"aud": None}, Refusal.MISSING_CLAIM),
        ({"iss": "https://login.example.com/other"}, Refusal.WRONG_ISSUER),
        ({"iss": None}, Refusal.MISSING_CLAIM),
        ({"exp": None}, Refusal.MISSING_CLAIM),
        ({"exp": "tomorrow"}, Refusal.INVALID_CLAIM),
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "issued-in-future",
        "wrong-audience",
        "wrong-audience-list",
        "no-audience",
        "wrong-issuer",
        "no-issuer",
        "no-exp",
        "exp-not-a-date",
    ],
)
async def test_claims_that_fail_are_refused(
    start: Start,
    config: IdentityConfig,
    idp: IdentityProvider,
    keys: Keys,
    overrides: dict[str, Any],
    reason: Refusal,
) -> None:
    auth = await start(config)
    token = sign(keys.current, claims_for(idp.issuer, **overrides))
    assert await _refusal(auth.authenticate, token) == reason


async def test_clock_skew_within_sixty_seconds_is_allowed_for_nbf_and_iat(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    ahead = int(time.time()) + 30
    token = sign(keys.current, claims_for(idp.issuer, nbf=ahead, iat=ahead))
    assert (await auth.authenticate(token)).roles == {"team_leader"}


async def test_an_audience_list_naming_this_service_is_accepted(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    token = sign(keys.current, claims_for(idp.issuer, aud=["account", config.audience]))
    assert (await auth.authenticate(token)).subject


async def test_alg_none_is_refused(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    token = _unsigned({"alg": "none", "kid": keys.current.kid}, claims_for(idp.issuer)) + "."
    assert await _refusal(auth.authenticate, token) == Refusal.ALGORITHM_NOT_ALLOWED


async def test_hs256_signed_with_the_public_key_as_secret_is_refused(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    signing_input = _unsigned(
        {"alg": "HS256", "typ": "JWT", "kid": keys.current.kid}, claims_for(idp.issuer)
    )
    for secret in (
        keys.current.as_pem(private=False),
        json.dumps(keys.current.as_dict(private=False)).encode(),
    ):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        token = signing_input + "." + _b64(mac)
        assert await _refusal(auth.authenticate, token) == Refusal.ALGORITHM_NOT_ALLOWED


async def test_another_key_under_a_known_kid_is_refused(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    token = sign(keys.stranger, claims_for(idp.issuer), kid=keys.current.kid)
    assert await _refusal(auth.authenticate, token) == Refusal.BAD_SIGNATURE


async def test_a_tampered_payload_is_refused(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    head, _, signature = sign(keys.current, claims_for(idp.issuer)).split(".")
    forged = _b64(
        json.dumps(claims_for(idp.issuer, realm_access={"roles": ["crs-reader"]})).encode()
    )
    assert await _refusal(auth.authenticate, f"{head}.{forged}.{signature}") == (
        Refusal.BAD_SIGNATURE
    )


async def test_an_algorithm_not_enabled_is_refused_and_accepted_once_enabled(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    idp.publish(keys.current, keys.ec)
    token = sign(keys.ec, claims_for(idp.issuer))
    assert await _refusal((await start(config)).authenticate, token) == (
        Refusal.ALGORITHM_NOT_ALLOWED
    )
    enabled = await start(replace(config, algorithms=("RS256", "ES256")))
    assert (await enabled.authenticate(token)).roles == {"team_leader"}


async def test_an_rsa_kid_under_an_ec_algorithm_is_refused(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(replace(config, algorithms=("RS256", "ES256")))
    token = sign(keys.ec, claims_for(idp.issuer), kid=keys.current.kid)
    assert await _refusal(auth.authenticate, token) == Refusal.BAD_SIGNATURE


async def test_an_oversized_token_is_refused_before_parsing(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(config)
    padded = sign(keys.current, claims_for(idp.issuer, padding="x" * config.max_token_bytes))
    assert await _refusal(auth.authenticate, padded) == Refusal.TOO_LARGE
    # Not even a token: refused for its size, never decoded.
    assert await _refusal(auth.authenticate, "!" * (config.max_token_bytes + 1)) == (
        Refusal.TOO_LARGE
    )


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "e30.e30.", "W10.e30.e30"])
async def test_malformed_tokens_are_refused(
    start: Start, config: IdentityConfig, token: str
) -> None:
    auth = await start(config)
    assert await _refusal(auth.authenticate, token) in {
        Refusal.MALFORMED,
        Refusal.ALGORITHM_NOT_ALLOWED,
    }
