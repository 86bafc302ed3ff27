"""Verifying one bearer token against the cached key set: synchronous, no network."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    KeyParameterError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jws import JWSRegistry

from app.identity.claims import principal_from_claims
from app.identity.config import LEEWAY_SECONDS, IdentityConfig
from app.identity.errors import Refusal, TokenRejected
from app.identity.keys import KeySetCache
from app.identity.principal import VerifiedPrincipal

_CLAIM_REFUSALS = {
    "iss": Refusal.WRONG_ISSUER,
    "aud": Refusal.WRONG_AUDIENCE,
    "nbf": Refusal.NOT_YET_VALID,
    "iat": Refusal.NOT_YET_VALID,
}


class _Claims(jwt.JWTClaimsRegistry):
    """The leeway is for `nbf` and `iat` (a provider's clock a little ahead of ours); `exp`
    is kept exactly, so a token is never accepted after the moment its issuer set."""

    def validate_exp(self, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidClaimError("exp")
        if value <= self.now:
            raise ExpiredTokenError("exp")


class TokenVerifier:
    def __init__(
        self,
        config: IdentityConfig,
        keys: KeySetCache,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._keys = keys
        self._allowed = frozenset(config.algorithms)
        self._registry = JWSRegistry(algorithms=list(config.algorithms))
        # joserfc checks exp, nbf and iat only when present: `essential` makes iss, aud and
        # exp required.
        self._claims = _Claims(
            now=lambda: int(now()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": config.issuer},
            aud={"essential": True, "value": config.audience},
            exp={"essential": True},
        )

    def verify(self, token: str) -> tuple[VerifiedPrincipal, float]:
        """The principal and the token's `exp`, or TokenRejected (UnknownSigningKey when
        its key is not in the cached set)."""
        if len(token) > self._config.max_token_bytes:
            raise TokenRejected(Refusal.TOO_LARGE)
        header = _header(token)
        alg = header.get("alg")
        # Checked before any key is chosen: `none`, HMAC (the public key used as a shared
        # secret) and anything not enabled never reach signature code.
        if not isinstance(alg, str) or alg not in self._allowed:
            raise TokenRejected(Refusal.ALGORITHM_NOT_ALLOWED)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected(Refusal.MALFORMED)
        key = self._keys.key_for(kid)
        try:
            decoded = jwt.decode(token, key, registry=self._registry)
        except (BadSignatureError, KeyParameterError) as error:
            raise TokenRejected(Refusal.BAD_SIGNATURE) from error
        except UnsupportedAlgorithmError as error:
            raise TokenRejected(Refusal.ALGORITHM_NOT_ALLOWED) from error
        except (JoseError, ValueError, TypeError, RecursionError) as error:
            raise TokenRejected(Refusal.MALFORMED) from error
        claims = decoded.claims
        try:
            self._claims.validate(claims)
        except ExpiredTokenError as error:
            raise TokenRejected(Refusal.EXPIRED) from error
        except MissingClaimError as error:
            raise TokenRejected(Refusal.MISSING_CLAIM) from error
        except InvalidClaimError as error:
            raise TokenRejected(_CLAIM_REFUSALS.get(error.claim, Refusal.INVALID_CLAIM)) from error
        return principal_from_claims(claims, self._config), float(claims["exp"])


# A JOSE header is a few short members; a longer one is not a header (and deeply nested
# JSON would exhaust the parser's recursion).
_MAX_HEADER_CHARS = 1024


def _header(token: str) -> dict[str, Any]:
    head, dot, _ = token.partition(".")
    if not dot or not head.isascii() or len(head) > _MAX_HEADER_CHARS:
        raise TokenRejected(Refusal.MALFORMED)
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError, RecursionError) as error:
        raise TokenRejected(Refusal.MALFORMED) from error
    if not isinstance(header, dict):
        raise TokenRejected(Refusal.MALFORMED)
    return header
