"""The officer's email pattern means the same to the server (pydantic, Rust's regex) and to
a client validating against the spec (ECMAScript's regex), whose `\\s` differ."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.details import SinglePointOfContactDetails


@pytest.mark.parametrize(
    "email",
    ["alex\x85jones@example.gov.uk", "alex\ufeffjones@example.gov.uk", "alex jones@x.uk"],
)
def test_a_space_of_either_engine_is_refused(email: str) -> None:
    with pytest.raises(ValidationError):
        SinglePointOfContactDetails(officer_id="E1", name="Alex", email=email)


def test_an_ordinary_address_is_accepted() -> None:
    details = SinglePointOfContactDetails(officer_id="E1", name="A", email="a.b@example.gov.uk")
    assert details.email == "a.b@example.gov.uk"


@pytest.mark.parametrize("email", ["alex\x00@example.gov.uk", "a@ex\x83ample.gov.uk", "a@b.u\x1fk"])
def test_control_characters_are_refused_before_they_reach_the_database(email: str) -> None:
    # PostgreSQL's jsonb cannot hold a NUL: once a 500 from the fuzzer.
    with pytest.raises(ValidationError):
        SinglePointOfContactDetails(officer_id="E1", name="Alex", email=email)
