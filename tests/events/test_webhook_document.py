"""The OpenAPI document's `webhooks` section describes the deliveries the service really
sends: real deliveries, caught by a real receiver, are valid against it, and what it
declares (the types, the example's signature) is what the code does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from standardwebhooks.webhooks import Webhook

from app.domain.events import cloudevent
from app.domain.events.types import EventType
from app.main import create_app
from app.web import webhook_delivery
from tests.conftest import serve
from tests.events.receiver import Receiver, receiving, until
from tests.events.test_delivery import EVENTS, customer_story, subscribe

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
DOCUMENT: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
OPERATION: dict[str, Any] = DOCUMENT["webhooks"]["contactRestrictionsEvent"]["post"]


def body_validator() -> Draft202012Validator:
    (content_type,) = OPERATION["requestBody"]["content"]
    ref = OPERATION["requestBody"]["content"][content_type]["schema"]["$ref"]
    schema = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return Draft202012Validator(schema, format_checker=FormatChecker())


def header_schemas() -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in OPERATION["parameters"] if p["in"] == "header"}


def test_every_event_type_is_declared() -> None:
    schema = body_validator().schema
    declared = schema["properties"]["type"]["enum"]
    assert sorted(declared) == sorted(t.cloudevents_type for t in EventType)


def test_the_example_is_valid_and_really_signed() -> None:
    validator = body_validator()
    (example,) = validator.schema["examples"]
    validator.validate(example)
    headers = {name: p["example"] for name, p in header_schemas().items()}
    for name, parameter in header_schemas().items():
        Draft202012Validator(parameter["schema"], format_checker=FormatChecker()).validate(
            headers[name]
        )
    # Signed as a subscriber's library computes it (its verify() would refuse the
    # example's timestamp as too old; the signature is what matters here).
    wire = json.dumps(example, separators=(",", ":"))
    at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = Webhook(webhook_delivery.EXAMPLE_SECRET).sign(headers["webhook-id"], at, wire)
    assert headers["webhook-signature"] == expected
    assert headers["webhook-id"] == example["id"]


def test_a_field_added_to_the_envelope_stops_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It cannot drift: an envelope field the document does not describe is an error when
    the document is built, not a silent gap in it."""
    real = cloudevent.envelope

    def grown(event: cloudevent.Event, source: str) -> dict[str, Any]:
        return {**real(event, source), "traceparent": "00-0-0-01"}

    monkeypatch.setattr(webhook_delivery, "envelope", grown)
    app = create_app(database_url="postgresql://unused@/unused")
    with pytest.raises(RuntimeError, match="traceparent"):
        app.openapi()


async def test_real_deliveries_match_the_document(clean_db: str) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        await subscribe(service, receiver)
        await customer_story(service, "DOC-1")
        await until(lambda: len(receiver.accepted) == 5)
    validator = body_validator()
    (content_type,) = OPERATION["requestBody"]["content"]
    headers = header_schemas()
    types = set()
    for delivery in receiver.requests:
        assert delivery.headers["content-type"] == content_type
        errors = [e.message for e in validator.iter_errors(delivery.event)]
        assert errors == [], delivery.event
        for name, parameter in headers.items():
            assert name in delivery.headers, name
            Draft202012Validator(parameter["schema"], format_checker=FormatChecker()).validate(
                delivery.headers[name]
            )
        types.add(delivery.event["type"])
    assert len(types) == 5
    assert receiver.unverified == 0


async def test_the_feed_documents_its_events_as_the_webhooks_and_is_valid_against_it(
    clean_db: str,
) -> None:
    # One schema for an event, wherever it is read: a page of the feed validates against
    # the document's EventPage, whose items are the webhooks' event.
    page_schema = DOCUMENT["components"]["schemas"]["EventPage"]
    assert page_schema["properties"]["events"]["items"] == {
        "$ref": "#/components/schemas/WebhookCloudEvent"
    }
    async with serve(clean_db, **EVENTS) as service:
        await customer_story(service, "DOC-FEED")
        page = await service.client.get("/events", params={"after": "0", "limit": 10})
    assert page.status_code == 200, page.text
    assert len(page.json()["events"]) == 5
    validator = Draft202012Validator(
        {**page_schema, "components": DOCUMENT["components"]},
        format_checker=FormatChecker(),
    )
    errors = [e.message for e in validator.iter_errors(page.json())]
    assert errors == []
