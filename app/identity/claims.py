"""From a verified token's claims to a `VerifiedPrincipal`, per identity provider.

Microsoft Entra ID puts app roles in `roles`, marks application tokens with `idtyp=app`,
names the client in `azp` (v2 tokens) or `appid` (v1), and the stable user id in `oid`.
Keycloak puts realm roles in `realm_access.roles` and each client's roles in
`resource_access.<client>.roles`, and names the client in `azp`. A generic provider is read
as RFC 9068 describes: `roles`, `client_id`, and an application when `sub` is the client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.identity.config import IdentityConfig
from app.identity.errors import Refusal, TokenRejected
from app.identity.principal import VerifiedPrincipal

# What the records keep (app/persistence/tables.py): a subject is an id and must fit whole;
# a display name is for people to read and is cut short.
MAX_SUBJECT = 255
MAX_NAME = 200


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return ()


def _text(claims: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def provider_roles(claims: Mapping[str, Any], config: IdentityConfig) -> list[str]:
    """The role names as the provider issued them, before mapping."""
    if config.provider != "keycloak":
        return list(_strings(claims.get("roles")))
    roles: list[str] = []
    realm = claims.get("realm_access")
    if isinstance(realm, dict):
        roles.extend(_strings(realm.get("roles")))
    resources = claims.get("resource_access")
    # Only this service's own client: another client's roles say nothing about what the
    # caller may do here.
    if config.client_id is not None and isinstance(resources, dict):
        mine = resources.get(config.client_id)
        if isinstance(mine, dict):
            roles.extend(_strings(mine.get("roles")))
    return roles


def principal_from_claims(claims: Mapping[str, Any], config: IdentityConfig) -> VerifiedPrincipal:
    """Roles the role map does not name are dropped: a token with none may do nothing."""
    roles = frozenset(
        config.role_map[name] for name in provider_roles(claims, config) if name in config.role_map
    )
    if config.provider == "entra":
        # `sub` is pairwise per application in Entra; `oid` is the same user everywhere.
        subject = _text(claims, "oid", "sub")
        client_id = _text(claims, "azp", "appid")
        is_application = claims.get("idtyp") == "app"
    elif config.provider == "keycloak":
        subject = _text(claims, "sub")
        client_id = _text(claims, "azp", "client_id")
        username = _text(claims, "preferred_username") or ""
        # Keycloak's client-credentials tokens belong to the client's service-account user.
        is_application = username.startswith("service-account-")
    else:
        subject = _text(claims, "sub")
        client_id = _text(claims, "client_id", "azp")
        is_application = subject is not None and subject == client_id
    if subject is None:
        raise TokenRejected(Refusal.MISSING_CLAIM)
    if len(subject) > MAX_SUBJECT:
        raise TokenRejected(Refusal.INVALID_CLAIM)
    name = _text(claims, config.name_claim, "preferred_username")
    return VerifiedPrincipal(
        subject=subject,
        display_name=name[:MAX_NAME] if name is not None else None,
        is_application=is_application,
        client_id=client_id,
        roles=roles,
    )
