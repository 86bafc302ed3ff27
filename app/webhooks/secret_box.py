"""Webhook signing secrets sealed at rest.

A subscription's secret signs every delivery; whoever holds it can sign a forged event
that the CRM would trust (a restriction "lifted", say). The service must keep it to sign,
so it cannot be hashed: it is sealed with AES-256-GCM under a key the database does not
hold (`WEBHOOK_SECRETS_KEYS`), so a database dump, a replica or a backup alone does not
give it away. The sealed text is bound to its subscription (the associated data), so it
cannot be moved to another subscription's row (a rotation moves it between the row's own
current and previous columns, so the column is not part of the binding).

Several keys may be configured: the first seals, every one opens (by a key id stored with
the text), so the key can be rotated: add a new key first, run `crs seal-webhook-secrets`,
then drop the old one. Text without the prefix is a secret stored before sealing (or with
no key configured) and is read as it is; `crs seal-webhook-secrets` seals it."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:v1:"
# `make run`'s key, so its data stays readable from one run to the next. Public, so never
# for production: `crs serve` refuses it.
DEV_KEY = "Y29udGFjdC1yZXN0cmljdGlvbnMgZGV2IGtleSAhISE"
KEY_BYTES = 32
_NONCE_BYTES = 12


class SecretBoxError(Exception):
    """A sealed secret that no configured key opens: the key it was sealed with is gone,
    or the text was altered or moved to another row."""


def key_id(key: bytes) -> str:
    """Short, and not the key: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def new_key() -> str:
    """A fresh key, as WEBHOOK_SECRETS_KEYS takes it."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")


class SecretBox:
    def __init__(self, keys: Sequence[bytes]) -> None:
        """`keys`: the first seals; all open. With none, secrets are kept as given (tests
        and development only: `crs serve` will not start without a key)."""
        ids = [key_id(key) for key in keys]
        if len(set(ids)) != len(ids):
            raise ValueError("WEBHOOK_SECRETS_KEYS names a key twice")
        self._keys = {kid: AESGCM(key) for kid, key in zip(ids, keys, strict=True)}
        self._sealing = ids[0] if ids else None

    @property
    def sealing(self) -> bool:
        return self._sealing is not None

    def seal(self, secret: str, bound_to: str) -> str:
        if self._sealing is None:
            return secret
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self._sealing].encrypt(nonce, secret.encode(), bound_to.encode())
        text = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}{self._sealing}:{text}"

    def open(self, stored: str, bound_to: str) -> str:
        if not stored.startswith(PREFIX):
            return stored
        kid, _, text = stored[len(PREFIX) :].partition(":")
        aead = self._keys.get(kid)
        if aead is None:
            raise SecretBoxError(f"sealed with key {kid}, which is not configured")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            opened = aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound_to.encode())
            return opened.decode()
        # Altered, truncated or moved: whatever the way it fails, it is one answer.
        except (InvalidTag, ValueError):
            raise SecretBoxError(f"does not open with key {kid}") from None

    def sealed_with_current(self, stored: str) -> bool:
        """Whether `stored` is already sealed with the sealing key (nothing to redo)."""
        return self._sealing is not None and stored.startswith(f"{PREFIX}{self._sealing}:")
