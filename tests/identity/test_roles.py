"""Roles from each provider's claim shapes, mapped to the profile's role names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.identity import IdentityConfig, TokenRejected, principal_from_claims
from tests.identity.conftest import Keys, Start
from tests.identity.helpers import claims_for, sign
from tests.identity.idp import IdentityProvider

ENTRA = IdentityConfig(
    issuer="https://login.microsoftonline.com/tenant/v2.0",
    audience="api://crs",
    provider="entra",
    role_map={"CRS.TeamLeader": "team_leader", "CRS.Reader": "reader"},
)
KEYCLOAK = IdentityConfig(
    issuer="https://sso.example.gov.uk/realms/council",
    audience="crs",
    provider="keycloak",
    client_id="crs",
    role_map={"ccsm": "ccsm", "crs-contact-recorder": "contact_recorder", "auditor": "auditor"},
)


def test_entra_user_token() -> None:
    principal = principal_from_claims(
        {
            "sub": "pairwise-subject",
            "oid": "00000000-0000-0000-0000-0000000000aa",
            "azp": "crm-client",
            "name": "A. Officer",
            "preferred_username": "a.officer@council.gov.uk",
            "roles": ["CRS.TeamLeader", "Some.Other.App.Role"],
        },
        ENTRA,
    )
    assert principal.subject == "00000000-0000-0000-0000-0000000000aa"
    assert principal.display_name == "A. Officer"
    assert principal.client_id == "crm-client"
    assert not principal.is_application
    assert principal.roles == {"team_leader"}


def test_entra_app_only_token_without_roles_has_none() -> None:
    principal = principal_from_claims(
        {"sub": "sp-object", "oid": "sp-object", "idtyp": "app", "appid": "telephony"}, ENTRA
    )
    assert principal.is_application
    assert principal.client_id == "telephony"
    assert principal.roles == frozenset()
    assert principal.display_name is None


def test_entra_app_token_with_an_assigned_role() -> None:
    principal = principal_from_claims(
        {"oid": "sp", "idtyp": "app", "azp": "crm", "roles": ["CRS.Reader"]}, ENTRA
    )
    assert principal.is_application and principal.roles == {"reader"}


def test_keycloak_realm_and_this_clients_roles_but_not_another_clients() -> None:
    principal = principal_from_claims(
        {
            "sub": "kc-user",
            "azp": "crm",
            "preferred_username": "officer1",
            "realm_access": {"roles": ["ccsm", "offline_access"]},
            "resource_access": {
                "crs": {"roles": ["crs-contact-recorder"]},
                "another-app": {"roles": ["auditor"]},
            },
        },
        KEYCLOAK,
    )
    assert principal.roles == {"ccsm", "contact_recorder"}
    # No `name` claim: the configured claim falls back to preferred_username.
    assert principal.display_name == "officer1"
    assert principal.client_id == "crm"
    assert not principal.is_application


def test_keycloak_service_account_is_an_application() -> None:
    principal = principal_from_claims(
        {
            "sub": "sa-uuid",
            "azp": "telephony",
            "preferred_username": "service-account-telephony",
            "resource_access": {"crs": {"roles": ["crs-contact-recorder"]}},
        },
        KEYCLOAK,
    )
    assert principal.is_application and principal.roles == {"contact_recorder"}


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u", "roles": "ccsm"},
        {"sub": "u", "realm_access": {"roles": "ccsm"}},
        {"sub": "u", "realm_access": ["ccsm"]},
        {"sub": "u", "resource_access": {"crs": ["ccsm"]}},
        {"sub": "u", "realm_access": {"roles": [1, None, {"x": "ccsm"}]}},
    ],
)
def test_roles_in_unexpected_shapes_give_no_roles(claims: dict[str, Any]) -> None:
    assert principal_from_claims(claims, KEYCLOAK).roles == frozenset()


def test_a_configurable_name_claim() -> None:
    config = replace(KEYCLOAK, name_claim="given_name")
    claims = {"sub": "u", "given_name": "Gwen", "name": "Gwen Jones"}
    assert principal_from_claims(claims, config).display_name == "Gwen"


def test_generic_provider_reads_rfc_9068_claims() -> None:
    generic = replace(KEYCLOAK, provider="generic")
    app = principal_from_claims(
        {"sub": "svc", "client_id": "svc", "roles": ["auditor", "unmapped"]}, generic
    )
    assert app.is_application and app.roles == {"auditor"}
    user = principal_from_claims({"sub": "u1", "client_id": "crm"}, generic)
    assert not user.is_application and user.roles == frozenset()


def test_a_token_naming_no_subject_is_refused() -> None:
    with pytest.raises(TokenRejected):
        principal_from_claims({"roles": ["CRS.Reader"], "idtyp": "app"}, ENTRA)


async def test_an_entra_shaped_token_end_to_end(
    start: Start, config: IdentityConfig, idp: IdentityProvider, keys: Keys
) -> None:
    auth = await start(replace(ENTRA, issuer=idp.issuer, audience=config.audience))
    token = sign(
        keys.current,
        claims_for(
            idp.issuer,
            oid="entra-oid",
            idtyp="app",
            azp="telephony",
            name=None,
            realm_access=None,
            roles=["CRS.Reader", "CRS.Unmapped"],
        ),
    )
    principal = await auth.authenticate(token)
    assert principal.subject == "entra-oid"
    assert principal.is_application and principal.client_id == "telephony"
    assert principal.roles == {"reader"}
