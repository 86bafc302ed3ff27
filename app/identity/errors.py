"""Why a bearer token was refused, as a short code that is safe to log (never the token)."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    TOO_LARGE = "too_large"
    MALFORMED = "malformed"
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    UNKNOWN_KEY = "unknown_key"
    KEYS_UNAVAILABLE = "keys_unavailable"
    BAD_SIGNATURE = "bad_signature"
    MISSING_CLAIM = "missing_claim"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID_CLAIM = "invalid_claim"


class TokenRejected(Exception):
    """The token is not accepted; `reason` says why (for logs and metrics, not the client:
    RFC 6750 only promises `invalid_token`)."""

    def __init__(self, reason: Refusal, *, again: bool = False) -> None:
        super().__init__(reason.value)
        self.reason = reason
        # Refused before, and remembered: worth no new log line.
        self.again = again


class UnknownSigningKey(TokenRejected):
    """No key in the cached set matches the token's `kid` (or there is no usable set): the
    caller may ask for one refetch."""

    def __init__(self, reason: Refusal = Refusal.UNKNOWN_KEY) -> None:
        super().__init__(reason)
