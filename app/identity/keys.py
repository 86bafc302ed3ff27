"""The identity provider's signing keys: fetched at start, refreshed in the background,
refetched once for an unknown `kid` (then not again until a cooldown has passed), and kept
through failed refreshes for a bounded time.

Verification reads `key_for` synchronously; only a refresh touches the network, and no caller
waits on one longer than `fetch_timeout_seconds`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from joserfc import jwk
from joserfc.errors import JoseError

from app.identity.config import IdentityConfig
from app.identity.errors import Refusal, UnknownSigningKey

logger = logging.getLogger("app.identity")

# Only asymmetric signing keys: a symmetric key published in a key set would be a secret
# known to everyone.
_KEY_TYPES = frozenset({"RSA", "EC"})
# A key set is a few kilobytes; a much larger answer is not one.
_MAX_DOCUMENT_BYTES = 512 * 1024
# After a failed refresh, try again sooner than the normal interval.
_RETRY_AFTER_FAILURE_SECONDS = 30.0


class KeySetError(Exception):
    """The discovery document or key set could not be used."""


@dataclass(frozen=True, slots=True)
class KeySetStatus:
    """For `/readyz`: `ready` when tokens can be verified; `stale` when the last refresh
    failed and the last good set is still in use (until `max_stale_seconds`)."""

    ready: bool
    stale: bool
    keys: int
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    age_seconds: float | None
    max_stale_seconds: float


class KeySetCache:
    def __init__(
        self,
        config: IdentityConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=config.fetch_timeout_seconds, follow_redirects=True
        )
        self._jwks_url = config.jwks_url
        self._keys: dict[str, jwk.Key] = {}
        self._fetched_at: float | None = None
        self._last_success: datetime | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._failed_last = False
        self._closing = False
        self._last_forced: float | None = None
        self._inflight: asyncio.Task[bool] | None = None
        self._background: asyncio.Task[None] | None = None

    # -- the hot path -------------------------------------------------------------------

    def key_for(self, kid: str) -> jwk.Key:
        """The key for `kid`, or UnknownSigningKey (which allows one refetch)."""
        fetched_at = self._fetched_at
        if fetched_at is None:
            raise UnknownSigningKey(Refusal.KEYS_UNAVAILABLE)
        if self._clock() - fetched_at > self._config.max_stale_seconds:
            self._expire()
            raise UnknownSigningKey(Refusal.KEYS_UNAVAILABLE)
        key = self._keys.get(kid)
        if key is None:
            raise UnknownSigningKey()
        return key

    def _expire(self) -> None:
        logger.error(
            "identity provider key set older than %.0f s and not refreshed: refusing tokens",
            self._config.max_stale_seconds,
        )
        self._keys = {}
        self._fetched_at = None

    # -- refreshing ---------------------------------------------------------------------

    async def start(self) -> None:
        """Fetch once (a failure is logged and shown in the status; tokens are refused until
        a fetch succeeds), then keep refreshing in the background."""
        await self.refresh()
        if self._background is None:
            self._background = asyncio.create_task(self._refresh_forever())

    async def aclose(self) -> None:
        self._closing = True
        for task in (self._background, self._inflight):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._background = None
        await self._client.aclose()

    async def refresh(self) -> bool:
        """Fetch the key set, sharing a fetch already under way. True when it succeeded
        within the bound; the fetch itself is bounded too, so none lingers."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._fetch_and_record())
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
        # that arrives as the fetch completes, and the background loop then outlived
        # aclose(), hanging a test run.
        try:
            async with asyncio.timeout(self._config.fetch_timeout_seconds):
                return await asyncio.shield(self._inflight)
        except TimeoutError:
            return False

    def refetch_allowed(self) -> bool:
        """Whether `refetch_for_unknown_kid` would fetch (or join a fetch) now, rather than
        refuse at once for the cooldown."""
        if self._inflight is not None and not self._inflight.done():
            return True
        cooldown = self._config.refetch_cooldown_seconds
        return self._last_forced is None or self._clock() - self._last_forced >= cooldown

    async def refetch_for_unknown_kid(self) -> bool:
        """One refetch for a token whose `kid` is not in the set, unless one was made within
        the cooldown: random kids must not turn into a stream of requests to the provider."""
        if self._inflight is not None and not self._inflight.done():
            return await self.refresh()
        now = self._clock()
        cooldown = self._config.refetch_cooldown_seconds
        if self._last_forced is not None and now - self._last_forced < cooldown:
            return False
        self._last_forced = now
        return await self.refresh()

    async def _refresh_forever(self) -> None:
        while not self._closing:
            delay = self._config.refresh_seconds
            if self._failed_last:
                delay = min(delay, _RETRY_AFTER_FAILURE_SECONDS)
            await asyncio.sleep(delay)
            await self.refresh()

    async def _fetch_and_record(self) -> bool:
        try:
            async with asyncio.timeout(self._config.fetch_timeout_seconds):
                keys = await self._fetch()
        except (KeySetError, httpx.HTTPError, TimeoutError, ValueError) as error:
            self._record_failure(error)
            return False
        self._keys = keys
        self._fetched_at = self._clock()
        self._last_success = datetime.now(UTC)
        self._failed_last = False
        return True

    def _record_failure(self, error: Exception) -> None:
        self._failed_last = True
        self._last_error = str(error) if isinstance(error, KeySetError) else type(error).__name__
        self._last_error_at = datetime.now(UTC)
        if self._fetched_at is None:
            logger.error(
                "identity provider key set unavailable (%s): tokens are refused",
                self._last_error,
            )
        else:
            logger.warning(
                "identity provider key set refresh failed (%s): keeping the last good set, "
                "%.0f s old (at most %.0f s)",
                self._last_error,
                self._clock() - self._fetched_at,
                self._config.max_stale_seconds,
            )

    async def _fetch(self) -> dict[str, jwk.Key]:
        if self._jwks_url is None:
            discovery = await self._get_json(self._config.discovery_url)
            # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer
            # it was fetched for, or its keys are not that issuer's.
            if discovery.get("issuer") != self._config.issuer:
                raise KeySetError("discovery document names another issuer")
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri:
                raise KeySetError("discovery document has no jwks_uri")
            self._jwks_url = jwks_uri
        return _signing_keys(await self._get_json(self._jwks_url))

    async def _get_json(self, url: str) -> dict[str, Any]:
        async with self._client.stream("GET", url, headers={"Accept": "application/json"}) as r:
            if r.status_code != 200:
                raise KeySetError(f"HTTP {r.status_code} from the identity provider")
            body = bytearray()
            async for chunk in r.aiter_bytes():
                body.extend(chunk)
                if len(body) > _MAX_DOCUMENT_BYTES:
                    raise KeySetError("identity provider document too large")
        try:
            document = json.loads(body)
        except ValueError as error:
            raise KeySetError("identity provider document is not JSON") from error
        if not isinstance(document, dict):
            raise KeySetError("identity provider document is not a JSON object")
        return document

    # -- status -------------------------------------------------------------------------

    def status(self) -> KeySetStatus:
        fetched_at = self._fetched_at
        age = None if fetched_at is None else self._clock() - fetched_at
        usable = age is not None and age <= self._config.max_stale_seconds
        return KeySetStatus(
            ready=usable,
            stale=usable and self._failed_last,
            keys=len(self._keys) if usable else 0,
            last_success=self._last_success,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            age_seconds=age,
            max_stale_seconds=self._config.max_stale_seconds,
        )


def _signing_keys(document: dict[str, Any]) -> dict[str, jwk.Key]:
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise KeySetError("key set has no keys")
    keys: dict[str, jwk.Key] = {}
    for entry in entries:
        # Keycloak publishes its encryption keys in the same set, marked use=enc.
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if entry.get("kty") not in _KEY_TYPES or not isinstance(kid, str) or not kid:
            continue
        try:
            keys[kid] = jwk.import_key(entry)
        except (JoseError, ValueError, TypeError):
            continue
    if not keys:
        raise KeySetError("key set has no usable signing keys")
    return keys
