"""Flintshire Appendix 2 on a social-media incident, over real HTTP: the steps taken are
recorded with it and read back; inconsistent steps are refused naming the field; the
steps belong to social-media incidents only; the retained posts stay with the block."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.api.test_incidents import incident
from tests.conftest import Service, serve
from tests.factories import marker

POSTED = "2026-11-24T21:05:00+00:00"
STEPS = {
    "reported_to_platform_on": "2026-11-25",
    "platform_reference": "FB-REPORT-88213",
    "evidence_kept": True,
    "support_agreed": True,
    "risk_assessed_on": "2026-11-26",
    "legal_referral_on": "2026-12-01",
}


def _social(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "category": "social_media",
        "behaviours": ["abusive_or_threatening_post"],
        "channel": "social_media",
        "occurred_at": POSTED,
        "social_media_outcome": "vexatious",
        **changes,
    }
    return incident(**fields)


async def _record(service: Service, body: dict[str, Any]) -> httpx.Response:
    return await service.client.post(
        "/customers/C-SOCIAL/incidents", json=body, headers=service.bearer("employee")
    )


def _faults(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {p["name"]: p["reason"] for p in response.json()["invalid_params"]}


async def test_the_appendix_2_steps_are_recorded_with_the_incident_and_read_back(
    clean_db: str,
) -> None:
    async with serve(clean_db) as service:
        service.clock.fixed = datetime(2026, 12, 2, 12, tzinfo=UTC)
        recorded = await _record(service, _social(social_media_steps=STEPS))
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["social_media_steps"] == STEPS
        read = await service.client.get(f"/incidents/{recorded.json()['id']}")
        assert read.json()["social_media_steps"] == STEPS
        # Steps are optional: none recorded yet is recorded as none.
        bare = await _record(service, _social())
        assert bare.status_code == 201, bare.text
        assert bare.json()["social_media_steps"] is None


async def test_inconsistent_steps_are_refused_naming_each_field(clean_db: str) -> None:
    async with serve(clean_db) as service:
        service.clock.fixed = datetime(2026, 12, 2, 12, tzinfo=UTC)
        unreferenced = await _record(
            service, _social(social_media_steps={"reported_to_platform_on": "2026-11-25"})
        )
        assert set(_faults(unreferenced)) == {"body.social_media_steps.platform_reference"}
        dated = await _record(
            service,
            _social(
                social_media_steps={
                    "risk_assessed_on": "2026-11-23",
                    "legal_referral_on": "2026-12-03",
                }
            ),
        )
        faults = _faults(dated)
        assert faults["body.social_media_steps.risk_assessed_on"].startswith("is before the post")
        assert faults["body.social_media_steps.legal_referral_on"].startswith("is in the future")
        one_off = await _record(
            service,
            _social(
                social_media_outcome="one_off",
                social_media_steps={"legal_referral_on": "2026-12-01"},
            ),
        )
        assert "one_off" in _faults(one_off)["body.social_media_steps.legal_referral_on"]
        on_the_phone = await _record(
            service, incident(occurred_at=POSTED, social_media_steps={"evidence_kept": True})
        )
        assert set(_faults(on_the_phone)) == {"body.social_media_steps"}
        listed = await service.client.get("/customers/C-SOCIAL/incidents")
        assert listed.json()["incidents"] == []


async def test_a_block_keeps_the_retained_posts_with_it(clean_db: str) -> None:
    async with serve(clean_db) as service:
        post = {
            "url": "https://www.facebook.com/example/posts/1",
            "posted_at": POSTED,
            "description": "Names an officer, with insults.",
        }
        body = marker(
            "social_media_block",
            details={"platform": "Facebook", "account": "@someone", "posts": [post]},
        )
        imposed = await service.client.post("/customers/C-SOCIAL/markers", json=body)
        assert imposed.status_code == 201, imposed.text
        kept = imposed.json()["details"]["posts"]
        assert [(p["url"], p["description"]) for p in kept] == [(post["url"], post["description"])]
