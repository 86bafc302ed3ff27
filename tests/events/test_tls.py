"""An https endpoint: the request goes to the address the dispatcher resolved and checked,
and TLS still verifies the certificate against the URL's host name (SNI), so pinning the
address costs no security."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import serve
from tests.events.receiver import Receiver, until
from tests.events.test_delivery import EVENTS, customer_story, per_customer, subscribe
from tests.servers import running


def _certificates(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signs for `host`: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test webhooks CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@contextlib.asynccontextmanager
async def receiving_tls(receiver: Receiver, cert: Path, key: Path) -> AsyncIterator[int]:
    config = uvicorn.Config(
        receiver,
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        lifespan="on",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    async with running(config) as port:
        yield port


async def test_https_delivery_is_pinned_to_the_checked_address_and_verified(
    clean_db: str, tmp_path: Path
) -> None:
    # The machine's own name resolves to loopback from /etc/hosts: no DNS needed.
    host = socket.gethostname()
    ca, cert, key = _certificates(tmp_path, host)
    receiver = Receiver()
    settings = {**EVENTS, "webhook_require_https": True, "webhook_ca_file": str(ca)}
    async with (
        receiving_tls(receiver, cert, key) as port,
        serve(clean_db, **settings) as service,
    ):
        receiver.url = f"https://{host}:{port}/hooks"
        await subscribe(service, receiver)
        await customer_story(service, "TLS-1")
        await until(lambda: len(receiver.accepted) == 5)
    assert per_customer(receiver.accepted) == {"TLS-1": [1, 2, 3, 4, 5]}
    assert {r.headers["host"] for r in receiver.requests} == {f"{host}:{port}"}


async def test_a_certificate_for_another_name_is_refused(clean_db: str, tmp_path: Path) -> None:
    host = socket.gethostname()
    ca, cert, key = _certificates(tmp_path, "elsewhere.example")
    receiver = Receiver()
    settings = {**EVENTS, "webhook_require_https": True, "webhook_ca_file": str(ca)}
    async with (
        receiving_tls(receiver, cert, key) as port,
        serve(clean_db, **settings) as service,
    ):
        receiver.url = f"https://{host}:{port}/hooks"
        subscription = await subscribe(service, receiver)
        await customer_story(service, "TLS-2")
        log = f"/subscriptions/{subscription['id']}/attempts"
        for _ in range(100):
            attempts = (await service.client.get(log)).json()["attempts"]
            if len(attempts) >= 2:
                break
            await asyncio.sleep(0.05)
    assert attempts and {a["outcome"] for a in attempts} == {"connection_error"}
    assert receiver.requests == []
