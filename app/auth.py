"""Who is asking, and may they: the one decision every operation passes through.

`Gate.decide` verifies the bearer token (app/identity: the verified-token cache first, so a
hot read costs a hash and a dict lookup) and asks the decision matrix
(app/domain/policy/matrix.py) whether the caller's roles may take the action. Every route
calls it through the `authorise` dependency, the fast layer calls it directly, and the dry
run (`POST /access/v1/evaluation`) asks the same matrix function, so the three cannot
disagree.

For impose, vary and lift the matrix rules per marker kind, and the kind is known only once
the body is read or the marker loaded: the dependency admits whoever may take the action on
some kind, and the operation calls `ActionContext.require(kind)` before it changes anything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from time import monotonic

from starlette.requests import Request

from app.domain.policy import matrix
from app.domain.policy.profile import PolicyProfile
from app.domain.vocabulary import Action, MarkerKind
from app.identity import Authenticator, Refusal, TokenRejected, UnknownSigningKey
from app.identity.principal import VerifiedPrincipal
from app.problems import (
    InvalidParam,
    NotAuthenticated,
    NotPermitted,
    ProblemError,
    invalid,
    policy_violation,
)

__all__ = [
    "AUTHORIZATION_HEADER",
    "Action",
    "ActionContext",
    "Gate",
    "NotAuthenticated",
    "NotPermitted",
    "authorise",
    "system_context",
]

log = logging.getLogger(__name__)

# Lower case, as HTTP/2 and ASGI carry header names.
AUTHORIZATION_HEADER = "authorization"
# RFC 6750 allows a token in the query string; this service never accepts one there (it
# would land in proxies' and servers' logs).
QUERY_TOKEN = "access_token"
ON_BEHALF_OF_LIMIT = 64


@dataclass(frozen=True, slots=True)
class ActionContext:
    """An admitted request: the action, who is asking (as their verified token says), and
    the profile whose matrix admitted them."""

    action: Action
    principal: VerifiedPrincipal
    profile: PolicyProfile
    # The member of staff a machine client acts for (telephony recording a terminated
    # call): recorded beside the client's own id, never instead of it.
    on_behalf_of: str | None = None

    @property
    def actor(self) -> str:
        """Who the record names as having acted: the token's subject."""
        return self.principal.subject

    @property
    def actor_name(self) -> str | None:
        return self.principal.display_name

    def require(self, kind: MarkerKind) -> None:
        """The matrix's decision for this action on a marker of `kind`: NotPermitted unless
        the caller's roles allow it. A kind the profile does not provide (a marker left
        from another profile's data) is refused as a policy violation (422), whoever
        asks: no role of this profile rules on it."""
        if kind not in self.profile.kinds:
            where = "body.kind" if self.action is Action.IMPOSE_MARKER else "marker.kind"
            reason = f"{kind.value} is not a restriction the {self.profile.council} policy provides"
            raise policy_violation([InvalidParam(name=where, reason=reason)])
        decision = matrix.decide(self.profile, self.principal.roles, self.action, kind)
        if not decision.allowed:
            _log_refusal(self.principal, decision)
            raise _not_permitted(decision)

    def require_action(self, action: Action) -> None:
        """The matrix's decision on another action, for an operation whose permission
        depends on the record it acts on (correcting a record takes the role that may
        record that step): NotPermitted, naming that action, unless the caller may."""
        decision = matrix.decide(self.profile, self.principal.roles, action, None)
        if not decision.allowed:
            _log_refusal(self.principal, decision)
            raise _not_permitted(decision)

    def acting_for(self, staff_id: str | None) -> ActionContext:
        """`on_behalf_of` as the body gives it. Only a machine client acts for someone else:
        a member of staff is recorded as themselves."""
        if staff_id is None:
            return self
        if not self.principal.is_application:
            raise invalid(
                "body.on_behalf_of",
                "only a machine client may act on behalf of a member of staff; staff act "
                "as themselves, from their own token",
            )
        return replace(self, on_behalf_of=staff_id)


def system_context(action: Action, profile: PolicyProfile, subject: str) -> ActionContext:
    """For what the service records itself, with no request (the demo data): it holds
    every role the profile declares, and is named by `subject` in the records."""
    principal = VerifiedPrincipal(
        subject=subject,
        display_name=None,
        is_application=True,
        client_id=None,
        roles=profile.access.roles,
    )
    return ActionContext(action, principal, profile)


def _not_permitted(decision: matrix.Decision) -> NotPermitted:
    kind = decision.kind.value if decision.kind is not None else None
    return NotPermitted(decision.action.value, kind, decision.allowed_roles, decision.reason)


# Distinct (subject, rule) pairs remembered; emptied when full (a few lines logged again).
_MAX_REFUSALS = 4096


class RefusalLog:
    """When to log a refusal: the first time a subject is refused by a rule, then at most
    once a minute for the same pair, with how many went unlogged meanwhile. A client
    retrying what it may not do (a misconfigured integration) cannot flood the logs."""

    def __init__(self, interval: float = 60.0, now: Callable[[], float] = monotonic) -> None:
        self._interval = interval
        self._now = now
        # (subject, rule) -> (when last logged, refusals since)
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def due(self, subject: str, rule: str) -> int | None:
        """The refusals left unlogged since the last line, when this one is to be logged;
        None when not."""
        now = self._now()
        key = (subject, rule)
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self._interval:
            self._seen[key] = (seen[0], seen[1] + 1)
            return None
        if seen is None and len(self._seen) >= _MAX_REFUSALS:
            self._seen.clear()
        self._seen[key] = (now, 0)
        return 0 if seen is None else seen[1]


_refusals = RefusalLog()


def _log_refusal(principal: VerifiedPrincipal, decision: matrix.Decision) -> None:
    unlogged = _refusals.due(principal.subject, decision.rule)
    if unlogged is None:
        return
    # The subject is an opaque id, not a name; roles and the rule are policy, not personal.
    log.info(
        "refused %s for subject %s with roles %s (%s); %d more since the last such line",
        decision.rule,
        principal.subject,
        sorted(principal.roles),
        decision.reason,
        unlogged,
    )


class IdentityUnavailable(ProblemError):
    """No key set to verify tokens against: the provider has not answered since start, or
    not for longer than the service may go on trusting its last keys. The caller's token
    may well be good, so it is not told it is not."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "identity-unavailable",
            "Tokens cannot be verified just now.",
            "The identity provider's signing keys are not available to this service. Try "
            "again shortly.",
            headers={"Retry-After": "5"},
        )


def bearer_token(authorization: str | None) -> str:
    """The token from an `Authorization: Bearer <token>` value (RFC 6750 section 2.1)."""
    if authorization is None:
        raise NotAuthenticated()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise NotAuthenticated(
            "Give a bearer token in the Authorization header: `Authorization: Bearer <token>`."
        )
    token = token.strip()
    if not token:
        raise NotAuthenticated("The Authorization header names no token.", "invalid_token")
    return token


def _rejected(error: TokenRejected) -> ProblemError:
    if error.reason is Refusal.KEYS_UNAVAILABLE:
        return IdentityUnavailable()
    # RFC 6750 promises the client only `invalid_token`; why is for our logs, once per
    # token while the refusal is remembered, so a client repeating it cannot flood them.
    if not error.again:
        log.info("bearer token refused: %s", error.reason.value)
    return NotAuthenticated("The bearer token is not valid here.", "invalid_token")


_BEARER_PREFIX = len("Bearer ")
# Distinct (role set, action) pairs kept; far more than a council's role combinations.
_MAX_DECISIONS = 4096


class Gate:
    """The one decision, for one deployment: its profile's matrix and its identity provider.
    With no provider configured every protected operation is refused (`crs serve` will not
    start that way; an app built some other way fails closed)."""

    def __init__(self, profile: PolicyProfile, authenticator: Authenticator | None) -> None:
        self.profile = profile
        self.authenticator = authenticator
        # The matrix is pure and callers hold few distinct role sets, so its decisions are
        # kept: a hot read then costs a lookup, not a decision and its explanation's text.
        self._decisions: dict[tuple[frozenset[str], Action], matrix.Decision] = {}

    def _principal(self, authorization: str | None) -> VerifiedPrincipal:
        """Synchronous: the cache, else a signature check against the cached key set.
        UnknownSigningKey passes through for `admit` to refetch."""
        token = bearer_token(authorization)
        if self.authenticator is None:
            raise NotAuthenticated(
                "This service has no identity provider configured, so it admits no one.",
                "invalid_token",
            )
        try:
            return self.authenticator.verify(token)
        except UnknownSigningKey:
            raise
        except TokenRejected as error:
            raise _rejected(error) from None

    def _permit(self, action: Action, principal: VerifiedPrincipal) -> None:
        key = (principal.roles, action)
        decision = self._decisions.get(key)
        if decision is None:
            decision = matrix.decide_any_kind(self.profile, principal.roles, action)
            if len(self._decisions) >= _MAX_DECISIONS:
                self._decisions.clear()
            self._decisions[key] = decision
        if not decision.allowed:
            _log_refusal(principal, decision)
            raise _not_permitted(decision)

    def _context(self, action: Action, principal: VerifiedPrincipal) -> ActionContext:
        self._permit(action, principal)
        return ActionContext(action, principal, self.profile)

    def check(self, action: Action, authorization: str | None) -> None:
        """For the fast layer, which needs only the answer and cannot wait: a token signed
        by a key the cached set lacks raises UnknownSigningKey while a refetch is allowed,
        and the request goes on to the routes, which refetch; within the cooldown it is
        refused here, so random kids cost no more than any other bad token."""
        # The common case first, in as few calls as possible: a token already verified,
        # whose roles were already judged for this action.
        authenticator = self.authenticator
        if (
            authenticator is not None
            and authorization is not None
            and authorization.startswith("Bearer ")
            and len(authorization) <= _BEARER_PREFIX + authenticator.config.max_token_bytes
        ):
            known = authenticator.cache.get(authorization[_BEARER_PREFIX:])
            if known is not None:
                decision = self._decisions.get((known.roles, action))
                if decision is not None and decision.allowed:
                    return
        try:
            principal = self._principal(authorization)
        except UnknownSigningKey as error:
            assert self.authenticator is not None
            if self.authenticator.keys.refetch_allowed():
                raise
            raise _rejected(error) from None
        self._permit(action, principal)

    async def admit(self, action: Action, authorization: str | None) -> ActionContext:
        """As `decide`, and a token signed by a key the cached set lacks (the provider has
        rotated) gets one refetch, bounded in time and limited by a cooldown."""
        return self._context(action, await self._verified(authorization))

    async def identify(self, authorization: str | None) -> VerifiedPrincipal | None:
        """Who is asking, to keep what they send apart from what others send (their
        idempotency keys), or None when the token does not verify: the operation itself
        then refuses the request, as it would without this."""
        try:
            return await self._verified(authorization)
        except ProblemError:
            return None

    async def _verified(self, authorization: str | None) -> VerifiedPrincipal:
        try:
            return self._principal(authorization)
        except UnknownSigningKey:
            assert self.authenticator is not None
            try:
                return await self.authenticator.authenticate(bearer_token(authorization))
            except TokenRejected as error:
                raise _rejected(error) from None


def refuse_query_token(request: Request) -> None:
    """Before anything else reads the query: a token there is refused, not ignored."""
    if QUERY_TOKEN in request.query_params:
        raise NotAuthenticated(
            "Tokens are accepted only in the Authorization header, never in the URL.",
            "invalid_request",
        )


def authorise(action: Action) -> Callable[[Request], Awaitable[ActionContext]]:
    """The dependency for an operation: the gate's decision on the request's Authorization
    header. It reads the header from the request rather than declaring it, so that the
    OpenAPI documents it once, as the bearer security scheme, not as a parameter of each
    operation. `action` is kept on the dependency for the OpenAPI's roles and security."""

    async def dependency(request: Request) -> ActionContext:
        refuse_query_token(request)
        given = request.headers.getlist(AUTHORIZATION_HEADER)
        if len(given) > 1:
            # A proxy in front may read the last where this would read the first.
            raise NotAuthenticated("Give one Authorization header, not several.", "invalid_request")
        gate: Gate = request.app.state.gate
        return await gate.admit(action, given[0] if given else None)

    dependency.action = action  # type: ignore[attr-defined]
    return dependency
