"""The local development issuer (`make run`, `crs dev-token`): its tokens pass the service's
own verification, discovery and key set fetched over real HTTP; its key stays private and
survives restarts; and `crs serve` will not start without a real identity provider."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.domain.policy.profile import load_profile
from app.domain.vocabulary import PolicyProfileName
from app.identity import Authenticator, IdentityConfig, VerifiedPrincipal
from app.identity.dev_issuer import (
    DEV_AUDIENCE,
    DISCOVERY_PATH,
    KEY_FILE,
    DevIssuer,
    dev_roles,
)
from tests.conftest import ROOT

FLINTSHIRE_ROLES = dev_roles(load_profile(PolicyProfileName.FLINTSHIRE))
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[DevIssuer]:
    with DevIssuer(tmp_path, 0) as running:
        yield running


Verify = Callable[[DevIssuer, str], Any]


@pytest.fixture
async def verify() -> AsyncIterator[Verify]:
    """The service's own Authenticator, configured as `crs dev` configures it, started
    against the issuer (discovery, then the key set, over HTTP) for each token."""
    started: list[Authenticator] = []

    async def _verify(issuer: DevIssuer, token: str) -> VerifiedPrincipal:
        authenticator = Authenticator(
            IdentityConfig(
                issuer=issuer.issuer,
                audience=DEV_AUDIENCE,
                provider="generic",
                role_map={role: role for role in FLINTSHIRE_ROLES},
                fetch_timeout_seconds=2.0,
            )
        )
        started.append(authenticator)
        await authenticator.start()
        assert authenticator.status().ready, authenticator.status()
        return await authenticator.authenticate(token)

    yield _verify
    for authenticator in started:
        await authenticator.aclose()


def crs(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("OIDC_") and name not in {"DATABASE_URL", "DEV_ISSUER_PORT"}
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env={**base, "LOG_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_minted_token_verifies_through_the_service_authenticator(
    issuer: DevIssuer, verify: Verify
) -> None:
    token = issuer.mint(["team_leader"], subject="dev-tl-1", name="Team Leader One")

    principal = await verify(issuer, token)

    assert principal.subject == "dev-tl-1"
    assert principal.display_name == "Team Leader One"
    assert principal.roles == {"team_leader"}
    assert not principal.is_application


def test_the_discovery_document_names_the_issuer_and_its_key_set(
    issuer: DevIssuer,
) -> None:
    discovery = httpx.get(issuer.issuer + DISCOVERY_PATH).json()
    assert discovery["issuer"] == issuer.issuer
    assert discovery["issuer"].startswith("http://127.0.0.1:")
    jwks = httpx.get(discovery["jwks_uri"]).json()
    assert [key["kid"] for key in jwks["keys"]] == [issuer.kid]


def test_stopping_does_not_wait_for_a_silent_connection(tmp_path: Path) -> None:
    """`make run` stops the issuer on the event loop's thread; a client that connected but
    has not written yet (its loop is the one waiting) must not hold the stop forever."""
    running = DevIssuer(tmp_path, 0)
    running.start()
    silent = socket.create_connection(("127.0.0.1", running.port))
    try:
        httpx.get(running.issuer + DISCOVERY_PATH)  # the server is accepting
        stopper = threading.Thread(target=running.stop, daemon=True)
        stopper.start()
        stopper.join(3)
        assert not stopper.is_alive()
    finally:
        silent.close()


def test_the_key_set_is_public_only_and_the_key_file_is_the_owners(
    issuer: DevIssuer, tmp_path: Path
) -> None:
    jwks_uri = httpx.get(issuer.issuer + DISCOVERY_PATH).json()["jwks_uri"]
    (published,) = httpx.get(jwks_uri).json()["keys"]
    assert published["kty"] == "RSA"
    assert not _PRIVATE_MEMBERS & set(published), published.keys()

    key_file = tmp_path / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert "d" in key_file.read_text()  # the private half is kept, but only there


async def test_the_key_and_its_kid_survive_a_restart(tmp_path: Path, verify: Verify) -> None:
    with DevIssuer(tmp_path, 0) as first:
        port, kid = first.port, first.kid
        token = first.mint(["ccsm"], subject="dev-ccsm")

    with DevIssuer(tmp_path, port) as second:
        assert second.kid == kid
        principal = await verify(second, token)
    assert principal.roles == {"ccsm"}


def test_a_group_readable_key_file_is_made_private_again(tmp_path: Path) -> None:
    DevIssuer(tmp_path, 0)
    key_file = tmp_path / KEY_FILE
    key_file.chmod(0o644)
    DevIssuer(tmp_path, 0)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


async def test_crs_dev_token_prints_a_token_the_running_issuer_vouches_for(
    issuer: DevIssuer, tmp_path: Path, verify: Verify
) -> None:
    printed = crs(
        "dev-token",
        "--role",
        "team_leader",
        "--subject",
        "tl-204",
        "--name",
        "Team Leader 204",
        "--ttl",
        "600",
        DATA_DIR=str(tmp_path),
        DEV_ISSUER_PORT=str(issuer.port),
    )
    assert printed.returncode == 0, printed.stderr
    token = printed.stdout.strip()
    assert "\n" not in token  # stdout is the token alone: TOKEN=$(crs dev-token ...)

    principal = await verify(issuer, token)
    assert (principal.subject, principal.display_name) == ("tl-204", "Team Leader 204")
    assert principal.roles == {"team_leader"}


async def test_crs_dev_token_for_a_machine_role_is_the_applications_own(
    issuer: DevIssuer, tmp_path: Path, verify: Verify
) -> None:
    printed = crs(
        "dev-token", "--role", "reader", DATA_DIR=str(tmp_path), DEV_ISSUER_PORT=str(issuer.port)
    )
    assert printed.returncode == 0, printed.stderr

    principal = await verify(issuer, printed.stdout.strip())
    assert principal.roles == {"reader"}
    assert principal.is_application


def test_crs_dev_token_refuses_an_unknown_role_naming_the_profiles_roles(
    tmp_path: Path,
) -> None:
    refused = crs("dev-token", "--role", "superuser", DATA_DIR=str(tmp_path))
    assert refused.returncode != 0
    assert refused.stdout == ""
    assert "superuser" in refused.stderr
    for role in FLINTSHIRE_ROLES:
        assert role in refused.stderr

    wrexham = crs(
        "dev-token", "--role", "team_leader", DATA_DIR=str(tmp_path), POLICY_PROFILE="wrexham"
    )
    assert wrexham.returncode != 0
    assert "line_manager" in wrexham.stderr


def test_crs_serve_refuses_to_start_without_an_issuer(tmp_path: Path) -> None:
    port = free_port()
    # A database nobody listens on: refusing must come before any attempt to reach it.
    refused = crs(
        "serve",
        DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/none",
        HOST="127.0.0.1",
        PORT=str(port),
        DATA_DIR=str(tmp_path),
    )
    assert refused.returncode != 0
    assert "OIDC_ISSUER" in refused.stderr
    assert "OIDC_AUDIENCE" in refused.stderr
    assert "make run" in refused.stderr
    assert "Uvicorn running" not in refused.stdout + refused.stderr
    assert not (tmp_path / "dev-issuer").exists()  # no local issuer either

    no_audience = crs(
        "serve",
        DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/none",
        OIDC_ISSUER="https://sso.example.gov.uk/realms/council",
        PORT=str(port),
    )
    assert no_audience.returncode != 0
    assert "OIDC_AUDIENCE" in no_audience.stderr


def test_crs_serve_refuses_the_development_audience(tmp_path: Path) -> None:
    refused = crs(
        "serve",
        DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/none",
        OIDC_ISSUER="http://127.0.0.1:8001",
        OIDC_AUDIENCE=DEV_AUDIENCE,
        HOST="127.0.0.1",
        PORT=str(free_port()),
        DATA_DIR=str(tmp_path),
    )
    assert refused.returncode != 0
    assert DEV_AUDIENCE in refused.stderr
    assert "development" in refused.stderr


def test_crs_serve_refuses_to_start_without_a_key_to_seal_webhook_secrets(
    tmp_path: Path,
) -> None:
    from app.webhooks.secret_box import DEV_KEY

    provider = {
        "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none",
        "OIDC_ISSUER": "https://sso.example.gov.uk/realms/council",
        "OIDC_AUDIENCE": "contact-restrictions",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "DATA_DIR": str(tmp_path),
    }
    missing = crs("serve", **provider, WEBHOOK_SECRETS_KEYS="")
    assert missing.returncode == 2
    assert "WEBHOOK_SECRETS_KEYS" in missing.stderr
    assert "crs new-secrets-key" in missing.stderr
    public = crs("serve", **provider, WEBHOOK_SECRETS_KEYS=DEV_KEY)
    assert public.returncode == 2
    assert "development key" in public.stderr
    malformed = crs("serve", **provider, WEBHOOK_SECRETS_KEYS="not-a-key")
    assert malformed.returncode == 2
    assert "webhook_secrets_keys" in malformed.stderr.lower()
    assert "not-a-key" not in malformed.stderr  # a key is never echoed back
    made = crs("new-secrets-key")
    assert made.returncode == 0 and len(made.stdout.strip()) == 43
