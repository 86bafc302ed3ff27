"""The Idempotency-Key rules on their own: what a key is, what "the same request" is, and
what a key seen before means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.idempotency import (
    KEPT_FOR,
    LEASE,
    InvalidKey,
    Seen,
    State,
    Verdict,
    fingerprint,
    parse_key,
    verdict,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ('"abc-123"', "abc-123"),
        ("abc-123", "abc-123"),
        ('  "a b"  ', "a b"),
        ("x" * 255, "x" * 255),
    ],
)
def test_a_key_is_a_structured_field_string_or_the_bare_value(raw: str, key: str) -> None:
    assert parse_key(raw) == key


@pytest.mark.parametrize("raw", ["", '""', "x" * 256, "caf\u00e9", "tab\there", '"a"b"', '"a\\b"'])
def test_an_unusable_key_is_refused(raw: str) -> None:
    with pytest.raises(InvalidKey):
        parse_key(raw)


@given(st.binary(), st.binary(), st.binary(), st.binary())
def test_requests_differ_when_any_part_differs_however_the_bytes_are_split(
    a: bytes, b: bytes, c: bytes, d: bytes
) -> None:
    same = fingerprint("POST", "/p", a + b, c + d) == fingerprint("POST", "/p", a, b + c + d)
    assert same == (a + b == a and c + d == b + c + d)


def _seen(state: State, *, fp: str = "f", claimed: timedelta = timedelta(0)) -> Seen:
    at = NOW - claimed
    return Seen(fp, state, at, at + KEPT_FOR)


def test_what_a_key_seen_before_means() -> None:
    assert verdict(None, "f", NOW) is Verdict.RUN
    assert verdict(_seen(State.DONE), "f", NOW) is Verdict.REPLAY
    assert verdict(_seen(State.DONE, fp="g"), "f", NOW) is Verdict.MISMATCH
    assert verdict(_seen(State.IN_FLIGHT), "f", NOW) is Verdict.IN_FLIGHT
    assert verdict(_seen(State.IN_FLIGHT, fp="g"), "f", NOW) is Verdict.MISMATCH
    # A request recorded and about to keep its answer is still running.
    assert verdict(_seen(State.COMMITTED), "f", NOW) is Verdict.IN_FLIGHT
    assert verdict(_seen(State.COMMITTED, claimed=LEASE), "f", NOW) is Verdict.LOST
    # A claim that recorded nothing and outlived its lease frees the key, for any request.
    assert verdict(_seen(State.IN_FLIGHT, claimed=LEASE), "f", NOW) is Verdict.RUN
    assert verdict(_seen(State.IN_FLIGHT, fp="g", claimed=LEASE), "f", NOW) is Verdict.RUN
    # Past its day a key is forgotten, whatever it stood for.
    assert verdict(_seen(State.DONE, fp="g", claimed=KEPT_FOR), "f", NOW) is Verdict.RUN
