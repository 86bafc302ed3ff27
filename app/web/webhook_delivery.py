"""The webhook delivery as the OpenAPI 3.1 `webhooks` section describes it: one POST of a
CloudEvent (structured mode) with the Standard Webhooks headers.

The body's properties and the headers are read off the code that builds them
(`envelope` and `webhook_headers`), and the example is a real envelope of an example
event, signed: a field added to the envelope without a word here stops the document
from being built, rather than leaving it to describe a body that is no longer sent."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from app.domain.events.cloudevent import (
    CONTENT_TYPE,
    SEQUENCE_DIGITS,
    SPEC_VERSION,
    Event,
    envelope,
)
from app.domain.events.signing import SECRET_PREFIX, webhook_headers
from app.domain.events.types import CLOUDEVENTS_TYPES, EventType
from app.reads.contract import CUSTOMER_REF_MAX, CUSTOMER_REF_PATTERN

WEBHOOK_NAME = "contactRestrictionsEvent"
SCHEMA_NAME = "WebhookCloudEvent"

# The envelope's `datacontenttype`: the data of every event is JSON.
DATA_CONTENT_TYPE = "application/json"

_CUSTOMER_REF = {"type": "string", "maxLength": CUSTOMER_REF_MAX, "pattern": CUSTOMER_REF_PATTERN}


def _properties() -> dict[str, dict[str, Any]]:
    return {
        "specversion": {
            "type": "string",
            "enum": [SPEC_VERSION],
            "description": "CloudEvents 1.0.",
        },
        "id": {
            "type": "string",
            "format": "uuid",
            "description": "The event's id: the same on every delivery, in `webhook-id` and "
            "in the feed (`GET /events`). Drop an id already processed: delivery is at "
            "least once.",
        },
        "source": {
            "type": "string",
            "format": "uri-reference",
            "description": "The deployment: `urn:contact-restrictions:<policy profile>`, "
            "or its EVENT_SOURCE.",
        },
        "type": {
            "type": "string",
            "enum": list(CLOUDEVENTS_TYPES),
            "description": "What happened (the service's README lists what each carries).",
        },
        "subject": {**_CUSTOMER_REF, "description": "The customer's reference."},
        "time": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened, in Europe/London (ISO 8601 with offset). An "
            "expiry's time is the marker's end.",
        },
        "datacontenttype": {"type": "string", "enum": [DATA_CONTENT_TYPE]},
        "partitionkey": {
            **_CUSTOMER_REF,
            "description": "The customer's reference (CloudEvents partitioning extension): "
            "a customer's events are delivered one at a time, in `sequence` order.",
        },
        "sequence": {
            "type": "string",
            "pattern": f"^[0-9]{{{SEQUENCE_DIGITS}}}$",
            "description": "The event's place among the customer's events (CloudEvents "
            "sequence extension), 1, 2, 3..., zero-padded: ignore an event whose sequence "
            "is not above the last you applied for that customer.",
        },
        "data": {
            "type": "object",
            "description": "Thin: ids, kinds, times and the terms that changed, with a "
            "`link` to the resource; never free text or anyone's name. Read the linked "
            "resource with your own token for more.",
        },
    }


def _headers() -> dict[str, dict[str, Any]]:
    return {
        "webhook-id": {
            "description": "The event's `id` (Standard Webhooks): the same on every delivery.",
            "schema": {"type": "string", "format": "uuid"},
        },
        "webhook-timestamp": {
            "description": "When this attempt was signed, in seconds since the Unix epoch. "
            "Refuse one more than five minutes from your clock.",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        },
        "webhook-signature": {
            "description": "`v1,` and the base64 HMAC-SHA256, keyed with the subscription's "
            "secret (the bytes after `whsec_`), of `{webhook-id}.{webhook-timestamp}.{body}`; "
            "during a secret rotation one per secret in force, space-separated: accept the "
            "delivery if any verifies.",
            "schema": {
                "type": "string",
                "pattern": r"^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$",
            },
        },
    }


EXAMPLE_EVENT = Event(
    id="0b9e6d1c-58a4-4f7e-8c3d-2a1b0c9d8e7f",
    type=EventType.MARKER_IMPOSED,
    customer_ref="C-100234",
    sequence=4,
    time=datetime(2026, 7, 1, 8, 31, tzinfo=UTC),
    data={
        "marker_id": "5d2f9a7e-0c41-4b8e-a3f6-7e9b1c2d3a4f",
        "kind": "telephone_schedule",
        "version": 1,
        "starts_at": "2026-07-01T09:31:00+01:00",
        "ends_at": None,
        "review_due": "2026-12-30",
        "whole_council": True,
        "lifted_at": None,
        "link": "/markers/5d2f9a7e-0c41-4b8e-a3f6-7e9b1c2d3a4f",
    },
)
# A secret for the example only, never one a subscription holds.
EXAMPLE_SECRET = SECRET_PREFIX + base64.b64encode(b"example-only-secret-32-bytes-abc").decode()
EXAMPLE_TIMESTAMP = 1782894660


def _checked(described: Mapping[str, Any], built: Mapping[str, Any], what: str) -> None:
    if set(described) != set(built):
        raise RuntimeError(
            f"the {what} described and the {what} built differ: "
            f"{sorted(set(described) ^ set(built))}"
        )


def webhook_components(source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `webhooks` section, and the body's schema (a component of its own), for a
    deployment whose events carry `source`."""
    body = envelope(EXAMPLE_EVENT, source)
    properties = _properties()
    _checked(properties, body, "envelope")
    # Signed as the dispatcher signs it: over the body's bytes as sent.
    example_headers = webhook_headers(
        [EXAMPLE_SECRET], EXAMPLE_EVENT.id, EXAMPLE_TIMESTAMP, orjson.dumps(body)
    )
    headers = _headers()
    _checked(headers, example_headers, "headers")
    for name, header in headers.items():
        header["required"] = True
        header["example"] = example_headers[name]

    schema = {
        "type": "object",
        "description": "A CloudEvent 1.0 in structured mode, with the partitioning and "
        "sequence extensions: the same envelope as the event feed's.",
        "required": list(body),
        "properties": properties,
        "examples": [body],
    }
    ref = {"$ref": f"#/components/schemas/{SCHEMA_NAME}"}
    retry_after = {
        "Retry-After": {
            "description": "Seconds to wait: the next attempt waits at least this long.",
            "schema": {"type": "integer", "minimum": 0},
        }
    }
    operation = {
        "operationId": WEBHOOK_NAME,
        "summary": "An event, delivered to a subscription's URL",
        "description": (
            "Sent to every active subscription (`POST /subscriptions`) whose `event_types` "
            "include the event's type, signed with the subscription's secret (Standard "
            "Webhooks). Only a 2xx is success; redirects are not followed; each attempt "
            "takes at most WEBHOOK_TIMEOUT_SECONDS. A failed event is retried on the "
            "service's schedule (16 attempts over about 3 days), holding back that "
            "customer's later events on this subscription only."
        ),
        "tags": ["Events"],
        "security": [],
        "parameters": [
            {"name": name, "in": "header", **header} for name, header in headers.items()
        ],
        "requestBody": {"required": True, "content": {CONTENT_TYPE: {"schema": ref}}},
        "responses": {
            "2XX": {"description": "Taken: the event is delivered."},
            "410": {
                "description": "Gone: the subscription is disabled at once; nothing more "
                "is sent to it."
            },
            "429": {"description": "Too many requests: retried.", "headers": retry_after},
            "503": {"description": "Unavailable: retried.", "headers": retry_after},
            "default": {"description": "Any other answer, or none within the timeout: retried."},
        },
    }
    return {WEBHOOK_NAME: {"post": operation}}, schema
