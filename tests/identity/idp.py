"""A real identity provider's two documents (OIDC discovery and the JWKS) served over HTTP on
loopback, counting requests, and able to go down, come back on the same port, or hang."""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc.jwk import ECKey, RSAKey

SigningKey = RSAKey | ECKey


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    idp: IdentityProvider


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        idp = self.server.idp
        with idp.lock:
            idp.requests[self.path] += 1
        if idp.hang.is_set():
            idp.release.wait(10)
        if self.path == idp.discovery_path:
            document: dict[str, Any] = {
                "issuer": idp.advertised_issuer or idp.issuer,
                "jwks_uri": idp.jwks_url,
            }
        elif self.path == idp.jwks_path:
            document = {"keys": list(idp.published)}
        else:
            self.send_error(404)
            return
        body = json.dumps(document).encode()
        # A client that gave up on a hanging answer has closed its end by now.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class IdentityProvider:
    realm_path = "/realms/council"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.published: list[dict[str, Any]] = []
        self.advertised_issuer: str | None = None
        self.hang = threading.Event()
        self.release = threading.Event()
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.realm_path}"

    @property
    def discovery_path(self) -> str:
        return self.realm_path + "/.well-known/openid-configuration"

    @property
    def jwks_path(self) -> str:
        return self.realm_path + "/protocol/openid-connect/certs"

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.jwks_path}"

    @property
    def jwks_fetches(self) -> int:
        with self.lock:
            return self.requests[self.jwks_path]

    def publish(self, *keys: SigningKey, extra: list[dict[str, Any]] | None = None) -> None:
        self.published = [key.as_dict(private=False) for key in keys] + (extra or [])

    def start(self) -> None:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.idp = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None
        self.release.clear()
