"""Request bodies for markers of each kind, valid unless a test changes them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.domain.time.clock import utcnow


def review_date() -> str:
    return (date.today() + timedelta(days=90)).isoformat()


def marker(kind: str, **overrides: Any) -> dict[str, Any]:
    details: dict[str, dict[str, Any]] = {
        "telephone_suspension": {},
        "channel_limit": {"channels": ["email", "letter"]},
        "telephone_schedule": {
            "windows": [{"days": ["tuesday", "thursday"], "start": "10:00", "end": "12:00"}]
        },
        "single_point_of_contact": {
            "officer_id": "EMP-1",
            "name": "Alex Jones",
            "email": "alex.jones@example.gov.uk",
        },
        "behaviour_contract": {"terms": "Calls will be courteous."},
        "read_and_file": {"channels": ["letter", "email"]},
        "contact_quota": {"channel": "phone", "limit": 2, "period": "week"},
        "social_media_block": {"platform": "Facebook", "account": "@someone"},
    }
    body: dict[str, Any] = {
        "kind": kind,
        "details": details[kind],
        "reason": "Test reason.",
    }
    if kind != "telephone_suspension":
        body["review_due"] = review_date()
    body.update(overrides)
    return body


def past(days: int = 30) -> str:
    return (utcnow() - timedelta(days=days)).replace(microsecond=0).isoformat()
