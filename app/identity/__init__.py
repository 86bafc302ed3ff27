"""Bearer-token verification against an OpenID Connect provider, and the caller's roles from
the token's claims (issue 14). Imports only the core and the settings; `app.auth` builds the
authorisation decision on top of it."""

from app.identity.authenticator import Authenticator
from app.identity.cache import VerifiedTokenCache
from app.identity.claims import principal_from_claims
from app.identity.config import IdentityConfig
from app.identity.errors import Refusal, TokenRejected, UnknownSigningKey
from app.identity.keys import KeySetCache, KeySetStatus
from app.identity.principal import VerifiedPrincipal

__all__ = [
    "Authenticator",
    "IdentityConfig",
    "KeySetCache",
    "KeySetStatus",
    "Refusal",
    "TokenRejected",
    "UnknownSigningKey",
    "VerifiedPrincipal",
    "VerifiedTokenCache",
    "principal_from_claims",
]
