"""Verified tokens for the hot reads, so a read costs a hash and a dict lookup rather than a
signature check. Keyed by the token's SHA-256: the raw token is never held."""

from __future__ import annotations

import time
from collections.abc import Callable
from hashlib import sha256

from app.identity.principal import VerifiedPrincipal


class VerifiedTokenCache:
    __slots__ = ("_entries", "_max_entries", "_max_ttl", "_now")

    def __init__(
        self,
        max_entries: int,
        max_ttl_seconds: float,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._entries: dict[bytes, tuple[VerifiedPrincipal, float]] = {}
        self._max_entries = max_entries
        self._max_ttl = max_ttl_seconds
        self._now = now

    def get(self, token: str) -> VerifiedPrincipal | None:
        digest = sha256(token.encode()).digest()
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[1] <= self._now():
            self._entries.pop(digest, None)
            return None
        return entry[0]

    def put(self, token: str, principal: VerifiedPrincipal, expires_at: float) -> None:
        """Kept until the token's `exp`, and no longer than the maximum TTL, so a key the
        provider withdraws stops admitting its cached tokens within that bound."""
        now = self._now()
        until = min(expires_at, now + self._max_ttl)
        if until <= now:
            return
        digest = sha256(token.encode()).digest()
        if digest not in self._entries and len(self._entries) >= self._max_entries:
            # Dicts keep insertion order: the first entry is the oldest.
            del self._entries[next(iter(self._entries))]
        self._entries[digest] = (principal, until)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
