"""Signatures: what app/domain/events/signing.py makes, the standardwebhooks library (as a
receiver uses it) verifies, with either secret during a rotation."""

from __future__ import annotations

import base64
import os
import time

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.domain.events.signing import (
    InvalidSecret,
    secret_from_bytes,
    secret_key,
    sign,
    webhook_headers,
)

# The library refuses a timestamp more than five minutes from its clock.
NOW = int(time.time())


def _secret() -> str:
    return secret_from_bytes(os.urandom(32))


# The library parses the body as JSON once it has verified it, as a receiver would.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(JSON, st.uuids())
def test_the_library_verifies_what_we_sign(value: object, message_id: object) -> None:
    body = orjson.dumps(value)
    secret = _secret()
    headers = webhook_headers([secret], str(message_id), NOW, body)
    assert headers["webhook-signature"].startswith("v1,")
    Webhook(secret).verify(body, headers)


def test_during_a_rotation_either_secret_verifies_and_no_other() -> None:
    old, new, other = _secret(), _secret(), _secret()
    body = b'{"id":"e1"}'
    headers = webhook_headers([new, old], "e1", NOW, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)


def test_a_changed_body_or_id_does_not_verify() -> None:
    secret = _secret()
    signature = sign(secret, "e1", NOW, b"{}")
    assert signature != sign(secret, "e1", NOW, b"{} ")
    assert signature != sign(secret, "e2", NOW, b"{}")
    assert signature != sign(secret, "e1", NOW + 1, b"{}")


def test_the_secret_is_whsec_and_base64_of_its_key() -> None:
    raw = os.urandom(32)
    secret = secret_from_bytes(raw)
    assert secret.startswith("whsec_")
    assert secret_key(secret) == raw
    assert base64.b64decode(secret[6:]) == raw
    with pytest.raises(InvalidSecret):
        secret_key("not-a-secret")
    with pytest.raises(InvalidSecret):
        secret_key("whsec_!!!")
