"""Who is asking, over real HTTP: every operation refuses a request without a valid bearer
token (401, RFC 6750's challenge, a problem), the hot reads as the routes do; hostile tokens
are refused; the actor recorded is the token's subject; and the provider's keys rotate
without a restart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from app import problems
from tests.conftest import Service, serve
from tests.factories import marker
from tests.issuer import AUDIENCE, DEFAULT_NAME, DEFAULT_SUBJECT

CHALLENGE = 'Bearer realm="contact-restrictions"'
INVALID = CHALLENGE + ', error="invalid_token"'
STRANGER = RSAKey.generate_key(2048, {"kid": "elsewhere"})

READ = "/customers/C1/restrictions"
CHECK = "/customers/C1/contact-check?channel=phone"
FLAT = "/customers/C1/contact-check/flat?channel=phone"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def _claims(service: Service, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": service.issuer.issuer,
        "aud": AUDIENCE,
        "sub": "attacker",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "roles": ["chief_officer_governance"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _hostile(service: Service) -> dict[str, str]:
    key = service.issuer.key
    good = {"alg": "RS256", "kid": key.kid}
    hs_input = _unsigned({"alg": "HS256", "kid": key.kid}, _claims(service))
    mac = hmac.new(key.as_pem(private=False), hs_input.encode(), hashlib.sha256).digest()
    return {
        "expired": jwt.encode(good, _claims(service, exp=int(time.time()) - 5), key),
        "not yet valid": jwt.encode(good, _claims(service, nbf=int(time.time()) + 600), key),
        "wrong audience": jwt.encode(good, _claims(service, aud="api://someone-else"), key),
        "wrong issuer": jwt.encode(good, _claims(service, iss="https://evil.example"), key),
        "no exp": jwt.encode(good, _claims(service, exp=None), key),
        "alg none": _unsigned({"alg": "none", "kid": key.kid}, _claims(service)) + ".",
        "hs256 with the public key": hs_input + "." + _b64(mac),
        "another key under a known kid": jwt.encode(good, _claims(service), STRANGER),
        "unknown kid": jwt.encode({"alg": "RS256", "kid": "nobody"}, _claims(service), STRANGER),
        "oversized": jwt.encode(good, _claims(service, pad="x" * 9000), key),
        "garbage": "not-a-token",
        # JSON nested deeper than the parser's recursion allows, in the header and in
        # the (unverified) claims.
        "nested header": _b64(b"[" * 1500) + "." + _b64(b"{}") + ".c2ln",
        "nested claims": _b64(json.dumps(good).encode()) + "." + _b64(b"[" * 5000) + ".c2ln",
    }


def _protected(service: Service) -> list[tuple[str, str]]:
    """Every operation the app documents as needing a bearer token (all but liveness and
    readiness, which tests/api/test_openapi.py holds to), with a concrete path."""
    document = service.app.openapi()
    found = []
    for template, operations in document["paths"].items():
        path = template.replace("{customer_ref}", "C1").replace(
            "{marker_id}", "00000000-0000-4000-8000-000000000000"
        )
        for method, operation in operations.items():
            if operation.get("security", document.get("security")):
                found.append((method.upper(), path))
    return sorted(found)


def _assert_401(response: httpx.Response, challenge: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == challenge
    assert response.headers["content-type"] == problems.PROBLEM_JSON
    assert response.json()["type"] == problems.TYPE_BASE + "not-authenticated"


async def test_every_operation_refuses_a_request_without_a_token(service: Service) -> None:
    operations = _protected(service)
    # The reads, the batch, the marker writes and reads, preferences, contacts at least.
    assert len(operations) >= 9
    async with httpx.AsyncClient(base_url=service.base_url) as anonymous:
        for method, path in operations:
            # A body that would be refused too: the missing token is what is answered.
            response = await anonymous.request(method, path, json={})
            _assert_401(response, CHALLENGE)
            assert response.json()["instance"] == path.partition("?")[0]
        for path in (CHECK, FLAT):
            _assert_401(await anonymous.get(path), CHALLENGE)
        for scheme in ("Basic dXNlcjpwYXNz", "Bearer", "bearer"):
            response = await anonymous.get(READ, headers={"Authorization": scheme})
            assert response.status_code == 401
        # Liveness, readiness and metrics stay open.
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await anonymous.get(path)).status_code == 200, path


@pytest.mark.parametrize("path", [READ, CHECK, FLAT, READ + "?include=all"])
async def test_hostile_tokens_are_refused_on_the_reads(service: Service, path: str) -> None:
    """The first three are answered by the fast layer, include=all by the routes."""
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        for name, token in _hostile(service).items():
            response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
            _assert_401(response, INVALID)
            assert name not in response.text
            # Asked again, the answer is the same (the second time from the refusal cache).
            again = await client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert again.status_code == 401, name


async def test_hostile_tokens_are_refused_on_a_write_and_nothing_is_recorded(
    service: Service,
) -> None:
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        for token in _hostile(service).values():
            response = await client.post(
                "/customers/H1/markers",
                json=marker("channel_limit"),
                headers={"Authorization": f"Bearer {token}"},
            )
            _assert_401(response, INVALID)
    assert (await service.client.get("/customers/H1/restrictions")).json()["markers"] == []


async def test_a_token_in_the_query_string_is_refused(service: Service) -> None:
    token = service.issuer.token("reader")
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        for path in (READ, CHECK):
            sep = "&" if "?" in path else "?"
            response = await client.get(f"{path}{sep}access_token={token}")
            _assert_401(response, CHALLENGE + ', error="invalid_request"')
            # Even beside a good header: a token in a URL is already in someone's logs.
            response = await client.get(
                f"{path}{sep}access_token={token}", headers=service.bearer("reader")
            )
            _assert_401(response, CHALLENGE + ', error="invalid_request"')


async def test_two_authorization_headers_are_refused(service: Service) -> None:
    good = service.bearer("reader")["Authorization"]
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        for path in (READ, FLAT):
            response = await client.get(
                path, headers=[("Authorization", good), ("Authorization", good)]
            )
            _assert_401(response, CHALLENGE + ', error="invalid_request"')


async def test_a_reader_reads_and_may_not_write(service: Service) -> None:
    reader = service.bearer("reader")
    created = await service.client.post("/customers/R1/markers", json=marker("channel_limit"))
    assert created.status_code == 201
    marker_id = created.json()["id"]
    async with httpx.AsyncClient(base_url=service.base_url, headers=reader) as client:
        for path in (READ, CHECK, FLAT, READ + "?include=all"):
            assert (await client.get(path)).status_code == 200, path
        batch = await client.post("/contact-checks", json={"checks": []})
        assert batch.status_code != 403
        refused = await client.post("/customers/R1/markers", json=marker("telephone_suspension"))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == problems.PROBLEM_JSON
        problem = refused.json()
        assert problem["type"] == problems.TYPE_BASE + "not-permitted"
        assert problem["action"] == "impose_marker"
        # Before the body is read the gate knows only the action: every role that may
        # impose some kind is named.
        assert "team_leader" in problem["allowed_roles"]
        assert "ccsm" in problem["allowed_roles"]
        assert "impose_marker" in problem["detail"]
        for path, body in (
            (f"/markers/{marker_id}/variations", {"reason": "r"}),
            (f"/markers/{marker_id}/lift", {"reason": "r"}),
            ("/customers/R1/contacts", {"channel": "phone"}),
        ):
            assert (await client.post(path, json=body)).status_code == 403, path
        assert (
            await client.put("/customers/R1", json={"preferred_language": "cy"})
        ).status_code == 403
        # A marker with its history is for staff and auditors.
        assert (await client.get(f"/markers/{marker_id}")).status_code == 403
    history = (await service.client.get(f"/markers/{marker_id}")).json()["history"]
    assert [v["action"] for v in history] == ["imposed"]


async def test_the_kind_decides_once_it_is_known(service: Service) -> None:
    """A team leader may restrict telephone contact for a day, not formally manage it."""
    leader = service.bearer("team_leader", subject="tl-7", name="Team Leader Seven")
    suspension = await service.client.post(
        "/customers/K1/markers", json=marker("telephone_suspension"), headers=leader
    )
    assert suspension.status_code == 201, suspension.text
    formal = await service.client.post(
        "/customers/K1/markers", json=marker("channel_limit"), headers=leader
    )
    assert formal.status_code == 403
    problem = formal.json()
    assert (problem["action"], problem["kind"]) == ("impose_marker", "channel_limit")
    assert "team_leader" not in problem["allowed_roles"]
    assert "ccsm" in problem["allowed_roles"]
    # Varying or lifting needs the role that may impose that kind.
    imposed = await service.client.post("/customers/K1/markers", json=marker("channel_limit"))
    marker_id = imposed.json()["id"]
    for path in (f"/markers/{marker_id}/variations", f"/markers/{marker_id}/lift"):
        response = await service.client.post(path, json={"reason": "r"}, headers=leader)
        assert response.status_code == 403, path
        assert response.json()["kind"] == "channel_limit"
    assert (await service.client.get(f"/markers/{marker_id}")).json()["version"] == 1
    lifted = await service.client.post(
        f"/markers/{suspension.json()['id']}/lift", json={"reason": "Calm."}, headers=leader
    )
    assert lifted.status_code == 200


async def test_a_token_without_roles_may_do_nothing(service: Service) -> None:
    async with httpx.AsyncClient(base_url=service.base_url, headers=service.bearer()) as client:
        response = await client.get(READ)
        assert response.status_code == 403
        assert "no role is given" in response.json()["detail"].lower()
        unknown = await client.get(READ, headers=service.bearer("CRS.Everything"))
        assert unknown.status_code == 403


async def test_the_actor_is_the_tokens_subject(service: Service) -> None:
    ccsm = service.bearer("ccsm", subject="ccsm-42", name="Customer Contact Manager")
    created = await service.client.post(
        "/customers/A1/markers", json=marker("channel_limit"), headers=ccsm
    )
    assert created.status_code == 201
    assert created.json()["created_by"] == "ccsm-42"
    marker_id = created.json()["id"]
    await service.client.post(f"/markers/{marker_id}/lift", json={"reason": "Apology."})
    read = (await service.client.get(f"/markers/{marker_id}")).json()
    assert read["lifted_by"] == DEFAULT_SUBJECT
    assert [
        (v["recorded_by"], v["recorded_by_name"], v["on_behalf_of"]) for v in read["history"]
    ] == [
        ("ccsm-42", "Customer Contact Manager", None),
        (DEFAULT_SUBJECT, DEFAULT_NAME, None),
    ]
    # The body cannot name someone else.
    named = await service.client.post(
        "/customers/A1/markers", json={**marker("channel_limit"), "created_by": "CCSM-01"}
    )
    assert named.status_code == 422


async def test_a_machine_client_records_on_behalf_of_staff(service: Service) -> None:
    telephony = service.bearer(
        "contact_recorder", subject="telephony", name="ACD", application=True
    )
    recorded = await service.client.post(
        "/customers/T1/contacts",
        json={"channel": "phone", "on_behalf_of": "CC-17"},
        headers=telephony,
    )
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert (body["recorded_by"], body["recorded_by_name"], body["on_behalf_of"]) == (
        "telephony",
        "ACD",
        "CC-17",
    )
    # Staff act as themselves.
    staff = await service.client.post(
        "/customers/T1/contacts",
        json={"channel": "phone", "on_behalf_of": "CC-17"},
        headers=service.bearer("employee"),
    )
    assert staff.status_code == 422
    assert staff.json()["invalid_params"][0]["name"] == "body.on_behalf_of"


async def test_a_rotated_key_is_picked_up_without_a_restart(service: Service) -> None:
    """The provider publishes a new key and signs with it: the first request carrying it
    makes the service refetch the key set (the fast layer leaves it to the routes)."""
    issuer = service.issuer
    rotated = RSAKey.generate_key(2048, {"kid": "tests-rotated", "use": "sig"})
    before = issuer.provider.jwks_fetches
    issuer.provider.publish(issuer.key, rotated)
    try:
        claims = _claims(service, sub="rotated-user", roles=["reader"])
        token = jwt.encode({"alg": "RS256", "kid": rotated.kid}, claims, rotated)
        async with httpx.AsyncClient(base_url=service.base_url) as client:
            for path in (READ, FLAT):
                response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text
        assert issuer.provider.jwks_fetches == before + 1
    finally:
        issuer.provider.publish(issuer.key)


async def test_without_the_providers_keys_requests_are_503_and_not_ready(
    clean_db: str,
) -> None:
    """The provider has never answered: a token cannot be verified either way, so the
    caller is told to retry rather than that its token is bad, and readiness says why."""
    closed = "http://127.0.0.1:9/realms/none"
    async with (
        serve(clean_db, oidc_issuer=closed, oidc_fetch_timeout_seconds=0.3) as running,
        httpx.AsyncClient(base_url=running.base_url, headers=running.bearer("reader")) as client,
    ):
        for path in (READ, FLAT, READ + "?include=all"):
            response = await client.get(path)
            assert response.status_code == 503, path
            assert response.json()["type"] == problems.TYPE_BASE + "identity-unavailable"
            assert response.headers["retry-after"]
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["identity"]["ready"] is False
        assert ready.json()["identity"]["last_error"]


def test_a_role_map_naming_a_role_the_profile_lacks_is_refused_at_start() -> None:
    from app.main import InvalidRoleMap, create_app
    from tests.conftest import test_settings

    settings = test_settings(policy_profile="wrexham", oidc_role_map={"CRS.TL": "team_leader"})
    with pytest.raises(InvalidRoleMap, match="team_leader, which the wrexham profile"):
        create_app(settings, database_url="postgresql://unused@/unused")


async def test_a_marker_of_a_kind_the_profile_lacks_cannot_be_varied_or_lifted(
    clean_db: str,
) -> None:
    """Left from Wrexham data, a contact quota under Flintshire: no Flintshire role rules on
    it, so nobody varies or lifts it there (422), rather than anyone who may act on some
    other kind."""
    async with serve(clean_db, policy_profile="wrexham") as wrexham:
        created = await wrexham.client.post("/customers/Q1/markers", json=marker("contact_quota"))
        assert created.status_code == 201, created.text
    marker_id = created.json()["id"]
    async with serve(clean_db) as flintshire:
        for path in (f"/markers/{marker_id}/variations", f"/markers/{marker_id}/lift"):
            response = await flintshire.client.post(path, json={"reason": "r"})
            assert response.status_code == 422, response.text
            assert response.json()["invalid_params"][0]["name"] == "marker.kind"
        assert (await flintshire.client.get(f"/markers/{marker_id}")).json()["version"] == 1


async def test_a_repeated_bad_token_is_logged_once(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    forged = jwt.encode({"alg": "RS256", "kid": service.issuer.key.kid}, _claims(service), STRANGER)
    caplog.set_level("INFO", logger="app.auth")
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        for _ in range(5):
            response = await client.get(READ, headers={"Authorization": f"Bearer {forged}"})
            assert response.status_code == 401
    refusals = [r for r in caplog.records if r.getMessage().startswith("bearer token refused")]
    assert [r.getMessage() for r in refusals] == ["bearer token refused: bad_signature"]
    assert forged not in caplog.text
