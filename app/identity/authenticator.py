"""The one entry point: a bearer token in, a `VerifiedPrincipal` out (or TokenRejected)."""

from __future__ import annotations

import time
from collections.abc import Callable

from app.identity.cache import RefusedTokenCache, VerifiedTokenCache
from app.identity.config import IdentityConfig
from app.identity.errors import Refusal, TokenRejected, UnknownSigningKey
from app.identity.keys import KeySetCache, KeySetStatus
from app.identity.principal import VerifiedPrincipal
from app.identity.tokens import TokenVerifier

# Refusals that the same token cannot escape by being tried again. Not NOT_YET_VALID (the
# token becomes valid), nor UNKNOWN_KEY or KEYS_UNAVAILABLE (the key set may arrive).
_FINAL = frozenset(Refusal) - {
    Refusal.NOT_YET_VALID,
    Refusal.UNKNOWN_KEY,
    Refusal.KEYS_UNAVAILABLE,
    Refusal.TOO_LARGE,  # refused before it is hashed
}


class Authenticator:
    def __init__(
        self,
        config: IdentityConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.keys = KeySetCache(config, clock=clock)
        self._verifier = TokenVerifier(config, self.keys, now=now)
        self.cache = VerifiedTokenCache(
            config.cache_max_entries, config.cache_max_ttl_seconds, now=now
        )
        self.refused = RefusedTokenCache(config.cache_max_entries, now=now)

    async def start(self) -> None:
        await self.keys.start()

    async def aclose(self) -> None:
        await self.keys.aclose()

    def status(self) -> KeySetStatus:
        return self.keys.status()

    def verify(self, token: str) -> VerifiedPrincipal:
        """Synchronous, never waits on the provider: the cache, else a signature check
        against the cached key set. Raises UnknownSigningKey when `authenticate` would
        refetch."""
        if len(token) > self.config.max_token_bytes:
            raise TokenRejected(Refusal.TOO_LARGE)
        principal = self.cache.get(token)
        if principal is not None:
            return principal
        refused = self.refused.get(token)
        if refused is not None:
            raise TokenRejected(refused, again=True)
        try:
            principal, expires_at = self._verifier.verify(token)
        except UnknownSigningKey:
            raise
        except TokenRejected as error:
            if error.reason in _FINAL:
                self.refused.put(token, error.reason)
            raise
        self.cache.put(token, principal, expires_at)
        return principal

    async def authenticate(self, token: str) -> VerifiedPrincipal:
        """As `verify`, and a token signed by a key the cached set lacks (the provider has
        rotated) gets one refetch, bounded in time and limited by the cooldown."""
        try:
            return self.verify(token)
        except UnknownSigningKey:
            if not await self.keys.refetch_for_unknown_kid():
                raise
        return self.verify(token)
