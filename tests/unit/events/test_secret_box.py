"""Sealing webhook signing secrets at rest (app/webhooks/secret_box.py): what is sealed
opens only with a configured key and only for the subscription it was sealed for; keys
can be rotated; secrets stored before sealing are read as they are."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.settings import decode_sealing_key
from app.webhooks.secret_box import DEV_KEY, PREFIX, SecretBox, SecretBoxError, new_key

OLD, NEW = os.urandom(32), os.urandom(32)


@given(secret=st.text(min_size=1, max_size=200), bound_to=st.uuids().map(str))
def test_a_sealed_secret_opens_to_itself_and_shows_nothing_of_it(
    secret: str, bound_to: str
) -> None:
    box = SecretBox([NEW])
    sealed = box.seal(secret, bound_to)
    assert sealed.startswith(PREFIX)
    assert secret not in sealed.removeprefix(PREFIX) or len(secret) < 4
    assert box.open(sealed, bound_to) == secret
    # Sealed twice, two different texts (a fresh nonce each time).
    assert box.seal(secret, bound_to) != sealed


def test_it_does_not_open_for_another_subscription_or_altered() -> None:
    box = SecretBox([NEW])
    sealed = box.seal("whsec_abc", "endpoint-1")
    with pytest.raises(SecretBoxError):
        box.open(sealed, "endpoint-2")
    altered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SecretBoxError):
        box.open(altered, "endpoint-1")


def test_keys_rotate_the_first_seals_every_one_opens() -> None:
    sealed_old = SecretBox([OLD]).seal("whsec_old", "e")
    both = SecretBox([NEW, OLD])
    assert both.open(sealed_old, "e") == "whsec_old"
    assert not both.sealed_with_current(sealed_old)
    resealed = both.seal(both.open(sealed_old, "e"), "e")
    assert both.sealed_with_current(resealed)
    assert SecretBox([NEW]).open(resealed, "e") == "whsec_old"
    # The old key dropped before resealing: the secret no longer opens, and says why.
    with pytest.raises(SecretBoxError, match="not configured"):
        SecretBox([NEW]).open(sealed_old, "e")


def test_without_keys_secrets_are_kept_as_given_and_legacy_text_reads_as_it_is() -> None:
    assert SecretBox([]).seal("whsec_plain", "e") == "whsec_plain"
    assert not SecretBox([]).sealing
    assert SecretBox([NEW]).open("whsec_plain", "e") == "whsec_plain"


def test_configured_keys_are_32_bytes_of_base64() -> None:
    assert len(decode_sealing_key(new_key())) == 32
    assert len(decode_sealing_key(DEV_KEY)) == 32
    for bad in ("", "abc", "not base64 at all!!", new_key() + "AAAA"):
        with pytest.raises(ValueError):
            decode_sealing_key(bad)


def test_a_damaged_sealed_text_is_a_secret_box_error_whatever_the_damage() -> None:
    box = SecretBox([NEW])
    sealed = box.seal("whsec_abc", "e")
    kid = sealed.removeprefix(PREFIX).split(":")[0]
    for damaged in (sealed[:-6], f"{PREFIX}{kid}:", f"{PREFIX}{kid}:abc", f"{PREFIX}{kid}:!!"):
        with pytest.raises(SecretBoxError):
            box.open(damaged, "e")


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        SecretBox([NEW, NEW])
