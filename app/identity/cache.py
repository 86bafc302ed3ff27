"""Verified tokens for the hot reads, so a read costs a hash and a dict lookup rather than a
signature check; and tokens recently refused, so a repeated bad token costs no more. Keyed
by the token's SHA-256: the raw token is never held."""

from __future__ import annotations

import time
from collections.abc import Callable
from hashlib import sha256
from typing import Generic, TypeVar

from app.identity.errors import Refusal
from app.identity.principal import VerifiedPrincipal

T = TypeVar("T")


class _ByDigest(Generic[T]):
    """Bounded, each entry until its own instant; the oldest goes first when full."""

    __slots__ = ("_entries", "_max_entries", "_now")

    def __init__(self, max_entries: int, now: Callable[[], float]) -> None:
        self._entries: dict[bytes, tuple[T, float]] = {}
        self._max_entries = max_entries
        self._now = now

    def get(self, token: str) -> T | None:
        digest = sha256(token.encode()).digest()
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[1] <= self._now():
            self._entries.pop(digest, None)
            return None
        return entry[0]

    def _put(self, token: str, value: T, until: float) -> None:
        digest = sha256(token.encode()).digest()
        if digest not in self._entries and len(self._entries) >= self._max_entries:
            # Dicts keep insertion order: the first entry is the oldest.
            del self._entries[next(iter(self._entries))]
        self._entries[digest] = (value, until)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class VerifiedTokenCache(_ByDigest[VerifiedPrincipal]):
    __slots__ = ("_max_ttl",)

    def __init__(
        self,
        max_entries: int,
        max_ttl_seconds: float,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(max_entries, now)
        self._max_ttl = max_ttl_seconds

    def put(self, token: str, principal: VerifiedPrincipal, expires_at: float) -> None:
        """Kept until the token's `exp`, and no longer than the maximum TTL, so a key the
        provider withdraws stops admitting its cached tokens within that bound."""
        now = self._now()
        until = min(expires_at, now + self._max_ttl)
        if until > now:
            self._put(token, principal, until)


class RefusedTokenCache(_ByDigest[Refusal]):
    """Tokens recently refused for a reason that trying again cannot change (a bad
    signature, the wrong audience, expired...). Kept briefly: a key set that changes under
    a reused `kid` is honoured within `ttl_seconds`."""

    __slots__ = ("_ttl",)

    def __init__(
        self,
        max_entries: int,
        ttl_seconds: float = 60.0,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(max_entries, now)
        self._ttl = ttl_seconds

    def put(self, token: str, reason: Refusal) -> None:
        self._put(token, reason, self._now() + self._ttl)
