"""Writes that are safe to retry (the IETF httpapi Idempotency-Key draft): what a key is,
what a request with one is, and what to do when the key was seen before. No I/O.

A key is remembered once the write it carried is recorded: the store marks it committed in
the write's own transaction, and keeps the answer just after. A request that recorded
nothing (refused, or the database was down) leaves no trace, so its retry simply runs
again; a request that did record something is never run twice."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

HEADER: Final = "idempotency-key"
MAX_KEY_CHARS: Final = 255
# Kept at least this long after the write (the draft: "at least 24 hours" is usual).
KEPT_FOR: Final = timedelta(hours=24)
# How long a request may hold its key before a retry may take it over: longer than any
# write can take (each is bounded well under a second), so a live request is never
# overtaken, and a request whose process died frees its key.
LEASE: Final = timedelta(seconds=30)


class InvalidKey(ValueError):
    """The header's value is not a usable key."""


def parse_key(raw: str) -> str:
    """The key from the header: a Structured Field string ("..."), as the draft defines it,
    or, as many clients send it, the bare value. Printable ASCII, 1 to 255 characters."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
        if '"' in value or "\\" in value:
            raise InvalidKey("quotes and backslashes inside the key are not supported")
    if not value:
        raise InvalidKey("the key is empty")
    if len(value) > MAX_KEY_CHARS:
        raise InvalidKey(f"the key is longer than {MAX_KEY_CHARS} characters")
    if not all(" " <= c <= "~" for c in value):
        raise InvalidKey("the key must be printable ASCII")
    return value


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests "the same request": the operation and the exact body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class State(StrEnum):
    IN_FLIGHT = "in_flight"  # claimed; nothing recorded yet
    COMMITTED = "committed"  # the write is recorded (set in the write's transaction)
    DONE = "done"  # and its answer is kept


@dataclass(frozen=True, slots=True)
class Seen:
    """A key as stored."""

    fingerprint: str
    state: State
    claimed_at: datetime
    expires_at: datetime


class Verdict(StrEnum):
    RUN = "run"  # a new key, or one free to take over: run the request
    REPLAY = "replay"  # the same request, done: answer what was answered
    LOST = "lost"  # the same request, recorded, but its answer was not kept
    IN_FLIGHT = "in_flight"  # the same key is being used right now: 409
    MISMATCH = "mismatch"  # the key was used for another request: 422


def verdict(seen: Seen | None, request_fingerprint: str, now: datetime) -> Verdict:
    if seen is None or seen.expires_at <= now:
        return Verdict.RUN
    if seen.state is State.IN_FLIGHT and now - seen.claimed_at >= LEASE:
        # Claimed by a request that recorded nothing and never came back: the key is free.
        return Verdict.RUN
    if seen.fingerprint != request_fingerprint:
        return Verdict.MISMATCH
    if seen.state is State.DONE:
        return Verdict.REPLAY
    if seen.state is State.COMMITTED and now - seen.claimed_at >= LEASE:
        # Recorded, but the answer was never kept (the service stopped just after).
        return Verdict.LOST
    return Verdict.IN_FLIGHT
