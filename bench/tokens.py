"""The bench's identity provider: the local issuer (app/identity/dev_issuer.py) on a free
loopback port, under an audience of its own (`crs serve` refuses the development one). The
service under test verifies its tokens exactly as it would a council's provider's: discovery
and the key set over HTTP, then the verified-token cache."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from joserfc.jwk import RSAKey

from app.identity.dev_issuer import DevIssuer

AUDIENCE = "contact-restrictions-bench"
# A CRM integration's own token: it reads, nothing else.
ROLE = "reader"
# The events bench's (bench/events.py): a Team Leader imposing telephone suspensions, and
# the admin who subscribes the receiver.
WRITER = "team_leader"
ADMIN = "admin"


class BenchIssuer:
    def __init__(self, workdir: Path) -> None:
        self._issuer = DevIssuer(workdir, 0, audience=AUDIENCE)

    def start(self) -> None:
        self._issuer.start()

    def stop(self) -> None:
        self._issuer.stop()

    def env(self) -> dict[str, str]:
        return {
            "OIDC_ISSUER": self._issuer.issuer,
            "OIDC_AUDIENCE": AUDIENCE,
            "OIDC_PROVIDER": "generic",
            "OIDC_ROLE_MAP": json.dumps({role: role for role in (ROLE, WRITER, ADMIN)}),
        }

    def header(self) -> str:
        token = self._issuer.mint([ROLE], subject="bench-crm", client_id="bench-crm")
        return f"Authorization: Bearer {token}"

    def header_for(self, role: str, subject: str, name: str | None = None) -> str:
        """A token holding one role: a member of staff's (named, through the CRM) or, with
        no name, a machine client's own."""
        client = "bench-crm" if name is not None else subject
        token = self._issuer.mint([role], subject=subject, name=name, client_id=client)
        return f"Authorization: Bearer {token}"

    def forged_header(self) -> str:
        """A token like the good one, under the issuer's own `kid`, signed by another key:
        refused as a bad signature (checked once, then from the refusal cache)."""
        good = self._issuer.mint([ROLE], subject="bench-crm", client_id="bench-crm")
        head, claims, _ = good.split(".")
        other = RSAKey.generate_key(2048)
        signature = other.as_pem()  # any bytes of the right shape; never a valid signature
        forged = base64.urlsafe_b64encode(signature[:256]).rstrip(b"=").decode()
        return f"Authorization: Bearer {head}.{claims}.{forged}"
