"""What a CRM integrator writes against the client openapi-python-client generates from
openapi/openapi.json (type-checked with mypy --strict by test_generated_clients.py; the
`contact_restrictions_client` package exists only in that test's temporary directory)."""

from __future__ import annotations

import datetime

from contact_restrictions_client import AuthenticatedClient
from contact_restrictions_client.api.contact_checks import (
    contact_check,
    contact_check_flat,
    read_restrictions,
)
from contact_restrictions_client.models import (
    Channel,
    ContactCheckOut,
    Outcome,
    RestrictionsOut,
    TelephoneScheduleMarker,
)


def connect(base_url: str, token: str) -> AuthenticatedClient:
    """Every operation but liveness and readiness declares the bearer scheme, so the
    generated operations take only a client that sends `Authorization: Bearer <token>`."""
    return AuthenticatedClient(base_url=base_url, token=token)


def may_call(
    client: AuthenticatedClient, customer_ref: str
) -> tuple[Outcome, datetime.datetime | None]:
    answer = contact_check.sync(customer_ref, client=client, channel=Channel.PHONE)
    if not isinstance(answer, ContactCheckOut):
        raise RuntimeError("no answer")
    return answer.outcome, answer.next_allowed_at


def flat_outcome(client: AuthenticatedClient, customer_ref: str) -> str:
    answer = contact_check_flat.sync(customer_ref, client=client, channel=Channel.PHONE)
    if answer is None or not hasattr(answer, "outcome"):
        raise RuntimeError("no answer")
    outcome: str = answer.outcome
    return outcome


def call_windows(
    client: AuthenticatedClient, customer_ref: str
) -> list[tuple[list[str], str, str]]:
    read = read_restrictions.sync(customer_ref, client=client)
    if not isinstance(read, RestrictionsOut):
        return []
    windows: list[tuple[list[str], str, str]] = []
    for marker in read.markers:
        if isinstance(marker, TelephoneScheduleMarker):
            for window in marker.details.windows:
                windows.append(([day.value for day in window.days], window.start, window.end))
    return windows
