"""Who a verified bearer token says is asking."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VerifiedPrincipal:
    """The caller as a verified token names them. `roles` are the policy profile's role
    names (the provider's names mapped by `OIDC_ROLE_MAP`); empty means it may do nothing."""

    subject: str
    display_name: str | None
    is_application: bool
    client_id: str | None
    roles: frozenset[str]
