"""Who is acting, and the one decision every operation passes through.

Authentication and the decision matrix arrive with the decision engine. Until then every
operation already names its `Action` and gets its `ActionContext` from `decide`: every
route through the `authorise` dependency, the fast layer directly. So the token check and
the matrix become one change here, in `decide`. On the hot reads it is to ask `TokenCache`
for an already-verified token (until its expiry) instead of checking a signature per
request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from time import monotonic

from starlette.requests import Request

from app.domain.vocabulary import Action
from app.problems import NotAuthenticated, NotPermitted

__all__ = ["Action", "ActionContext", "Principal", "authorise", "decide"]

# Lower case, as HTTP/2 and ASGI carry header names.
AUTHORIZATION_HEADER = "authorization"


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


# Shared, not made per request: a context is immutable (`acting_as` copies it), and the
# fast layer asks for one on every hot read.
_ADMITTED = {action: ActionContext(action, ANONYMOUS) for action in Action}


def decide(action: Action, authorization: str | None) -> ActionContext:
    """Who is asking (from the Authorization header's value, None when absent), and
    whether they may do `action`: the context to act in, or NotAuthenticated (401) or
    NotPermitted (403). Today it admits everyone, anonymously (there is no identity
    provider yet); the identity issue verifies the bearer token here, through `TokenCache`,
    and checks the decision matrix for `action`."""
    return _ADMITTED[action]


def authorise(action: Action) -> Callable[[Request], Awaitable[ActionContext]]:
    """The dependency for an operation: `decide` with the request's Authorization header.
    It reads the header from the request rather than declaring it, so that it adds no
    parameter to every operation in the OpenAPI."""

    async def dependency(request: Request) -> ActionContext:
        return decide(action, request.headers.get(AUTHORIZATION_HEADER))

    return dependency


# Named here so that the identity issue raises them from `decide` without a new import.
__all__ = [
    "ANONYMOUS",
    "AUTHORIZATION_HEADER",
    "Action",
    "ActionContext",
    "NotAuthenticated",
    "NotPermitted",
    "Principal",
    "TokenCache",
    "authorise",
    "decide",
]


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
