"""Who is acting, and the one dependency every operation passes through.

Authentication and the decision matrix arrive with the decision engine. Until then every
operation already names its `Action` and receives an `ActionContext` from `authorise`, so
the token check and the matrix become one change here. On the hot reads the fast layer
asks `TokenCache` for an already-verified token (until its expiry) instead of checking a
signature per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from time import monotonic


class Action(StrEnum):
    READ_RESTRICTIONS = "read_restrictions"
    CHECK_CONTACT = "check_contact"
    READ_MARKER = "read_marker"
    IMPOSE_MARKER = "impose_marker"
    VARY_MARKER = "vary_marker"
    LIFT_MARKER = "lift_marker"
    SET_PREFERENCES = "set_preferences"
    RECORD_CONTACT = "record_contact"


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    roles: frozenset[str]


ANONYMOUS = Principal(subject="anonymous", roles=frozenset())


@dataclass(frozen=True, slots=True)
class ActionContext:
    action: Action
    principal: Principal
    # Who the record names as having acted. Until identity arrives, the staff id the request
    # gives (`acting_as`); then the verified token's subject.
    recorded_as: str | None = None

    @property
    def actor(self) -> str:
        return self.recorded_as or self.principal.subject

    def acting_as(self, staff_id: str) -> ActionContext:
        return replace(self, recorded_as=staff_id)


def authorise(action: Action) -> Callable[[], Awaitable[ActionContext]]:
    """The dependency for an operation. Today it admits everyone (there is no identity
    provider yet); the decision engine replaces its body with token verification and the
    decision-matrix check for `action`."""

    async def dependency() -> ActionContext:
        return ActionContext(action, ANONYMOUS)

    return dependency


class TokenCache:
    """Verified bearer tokens until they expire: a dict lookup on the hot path."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._max = max_entries

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, expires = entry
        if monotonic() >= expires:
            self._entries.pop(token, None)
            return None
        return principal

    def put(self, token: str, principal: Principal, ttl_seconds: float) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[token] = (principal, monotonic() + ttl_seconds)
