"""A local identity provider for development only (`make run`, `crs dev-token`): it signs
tokens with an RSA key kept in the data folder and serves OIDC discovery and the key set on
loopback, so the service verifies them exactly as it verifies a council's provider's: same
discovery over HTTP, same key-set cache, same checks. Nothing in the service knows it exists.

`crs serve` never starts it, and refuses the audience its tokens carry (`DEV_AUDIENCE`), so
a production instance cannot be pointed at it by accident."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from app.domain.policy.profile import PolicyProfile
from app.domain.vocabulary import Role

# Tokens for this audience are only ever minted here; `crs serve` refuses it.
DEV_AUDIENCE = "contact-restrictions-local-development"
# The client a member of staff's token names (RFC 9068 `client_id`): as if the CRM had
# asked on their behalf. A machine role's token names itself instead (`sub` = `client_id`),
# which the generic provider reads as an application.
DEV_CLIENT_ID = "crs-dev-client"
# A working day: long enough not to expire mid-session, short enough not to linger.
DEFAULT_TTL_SECONDS = 12 * 3600
# The issue names these machine roles for both councils; a profile that leaves one out still
# gets a token for it, so a developer can see it refused (the role map, built from the
# profile, does not map it).
MACHINE_ROLES: tuple[Role, ...] = ("reader", "contact_recorder", "auditor", "admin")

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks.json"
KEY_FILE = Path("dev-issuer") / "signing-key.json"
_ALGORITHM = "RS256"


class DevIssuerError(Exception):
    """The local issuer cannot start or sign: the message says what to do."""


def issuer_url(port: int) -> str:
    # 127.0.0.1 rather than localhost: the issuer string must be byte-for-byte the same in
    # every token and in the service's OIDC_ISSUER, whatever localhost resolves to.
    return f"http://127.0.0.1:{port}"


def dev_roles(profile: PolicyProfile) -> tuple[Role, ...]:
    """Every role of the profile, staff first (junior to senior), then the machine roles."""
    access = profile.access
    roles = [*access.staff_roles, *access.machine_roles]
    roles.extend(role for role in MACHINE_ROLES if role not in roles)
    return tuple(roles)


def machine_role(profile: PolicyProfile, role: Role) -> bool:
    return role in profile.access.machine_roles or role in MACHINE_ROLES


def load_or_create_key(data_dir: Path) -> RSAKey:
    """The signing key in `<data_dir>/dev-issuer/signing-key.json`, made on first use (mode
    0600) and reused afterwards, so tokens and the `kid` survive restarts."""
    path = data_dir / KEY_FILE
    if not path.exists():
        _create_key(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        # A private key others can read is not private: tighten it rather than use it so.
        path.chmod(0o600)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        key = RSAKey.import_key(document)
    except (OSError, ValueError, TypeError, JoseError) as error:
        raise DevIssuerError(
            f"the local issuer's key {path} cannot be read ({type(error).__name__}): delete it "
            "and a new one is made (tokens signed with the old one stop working)"
        ) from error
    if not key.is_private or not key.kid:
        raise DevIssuerError(
            f"the local issuer's key {path} is not a private RSA key with a kid: delete it and "
            "a new one is made"
        )
    return key


def _create_key(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The kid is the key's RFC 7638 thumbprint: stable for as long as the key is.
    key = RSAKey.generate_key(2048, {"use": "sig", "alg": _ALGORITHM}, auto_kid=True)
    body = json.dumps(key.as_dict(private=True), indent=2).encode()
    # Written whole under another name and linked into place, so a `crs dev-token` racing
    # `make run` never reads half a key, and the first of two writers wins.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    documents: dict[str, bytes]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        body = self.server.documents.get(self.path.split("?", 1)[0])
        if body is None:
            self.send_error(404)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class DevIssuer:
    """Mints tokens, and serves the documents that let the service verify them. `port` 0
    takes a free port when started (tests); a fixed port keeps the issuer string, and so
    every token minted for it, valid across restarts."""

    def __init__(self, data_dir: Path, port: int, *, audience: str = DEV_AUDIENCE) -> None:
        self.key = load_or_create_key(data_dir)
        self.audience = audience
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def kid(self) -> str:
        kid = self.key.kid
        assert kid is not None  # load_or_create_key refuses a key without one
        return kid

    @property
    def issuer(self) -> str:
        if self.port == 0:
            raise DevIssuerError("the local issuer has no port until it is started")
        return issuer_url(self.port)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False, kid=self.kid)]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.issuer + JWKS_PATH,
            "id_token_signing_alg_values_supported": [_ALGORITHM],
            "subject_types_supported": ["public"],
        }

    def mint(
        self,
        roles: Iterable[Role],
        *,
        subject: str,
        name: str | None = None,
        ttl: int = DEFAULT_TTL_SECONDS,
        client_id: str = DEV_CLIENT_ID,
    ) -> str:
        """A token as a generic (RFC 9068) provider issues it: roles in `roles`, the
        caller's client in `client_id`."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "client_id": client_id,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "roles": list(roles),
        }
        if name is not None:
            claims["name"] = name
        header = {"alg": _ALGORITHM, "typ": "at+jwt", "kid": self.kid}
        return jwt.encode(header, claims, self.key, algorithms=[_ALGORITHM])

    # -- serving ------------------------------------------------------------------------

    def start(self) -> None:
        try:
            # Loopback only: the key set is public, but nothing off this machine has any
            # business trusting a development issuer.
            server = _Server(("127.0.0.1", self.port), _Handler)
        except OSError as error:
            raise DevIssuerError(
                f"the local issuer cannot listen on 127.0.0.1:{self.port} ({error.strerror}): "
                "set DEV_ISSUER_PORT to a free port (tokens from `crs dev-token` need the same "
                "setting)"
            ) from error
        self.port = server.server_address[1]
        server.documents = {
            DISCOVERY_PATH: json.dumps(self.discovery()).encode(),
            JWKS_PATH: json.dumps(self.jwks()).encode(),
        }
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="dev-issuer",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> DevIssuer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
