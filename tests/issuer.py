"""The identity provider every served test app trusts: a real discovery document and JWKS
on loopback (tests/identity/idp.py), and tokens it signs for any roles."""

from __future__ import annotations

import threading
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from app.domain.policy.profile import load_profile
from app.domain.vocabulary import PolicyProfileName
from tests.identity.idp import IdentityProvider

AUDIENCE = "api://contact-restrictions-tests"
# Every role either profile declares: a token may carry them all, and each profile's matrix
# ignores the names it does not know.
ALL_ROLES = tuple(
    sorted(frozenset().union(*(load_profile(p).access.roles for p in PolicyProfileName)))
)
DEFAULT_SUBJECT = "officer-0001"
DEFAULT_NAME = "Test Officer"


class TestIssuer:
    __test__ = False  # not a test class, despite the name

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, {"kid": "tests-2026", "use": "sig", "alg": "RS256"})
        self.provider = IdentityProvider()
        self.provider.publish(self.key)

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    def settings(self, profile: str = "flintshire") -> dict[str, Any]:
        """The OIDC settings of an app that trusts this issuer, roles named as the profile
        names them (a council's own names are mapped by OIDC_ROLE_MAP; tests/identity tests
        the mapping)."""
        roles = load_profile(PolicyProfileName(profile)).access.roles
        return {
            "oidc_issuer": self.issuer,
            "oidc_audience": AUDIENCE,
            "oidc_provider": "generic",
            "oidc_role_map": {role: role for role in sorted(roles)},
            "oidc_fetch_timeout_seconds": 2.0,
        }

    def token(
        self,
        *roles: str,
        subject: str = DEFAULT_SUBJECT,
        name: str | None = DEFAULT_NAME,
        application: bool = False,
        lifetime: int = 3600,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "roles": list(roles),
            # RFC 9068: an application's own token names it as both subject and client.
            "client_id": subject if application else "crm",
        }
        if name is not None:
            body["name"] = name
        body.update(claims)
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, body, self.key)

    def bearer(self, *roles: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, **kwargs)}"}


_lock = threading.Lock()
_issuer: TestIssuer | None = None


def test_issuer() -> TestIssuer:
    """Started on first use, once per test session (`stop_test_issuer` ends it)."""
    global _issuer
    with _lock:
        if _issuer is None:
            issuer = TestIssuer()
            issuer.provider.start()
            _issuer = issuer
        return _issuer


test_issuer.__test__ = False  # type: ignore[attr-defined]


def stop_test_issuer() -> None:
    global _issuer
    with _lock:
        if _issuer is not None:
            _issuer.provider.stop()
            _issuer = None
