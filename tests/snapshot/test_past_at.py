"""A check at a past `at` is answered right or refused, never silently wrong (issue 12:
two calls recorded 39 days back, then a quota check that day answered "0 of 2 used")."""

from __future__ import annotations

from datetime import timedelta

from app.domain.time.clock import utcnow
from tests.conftest import serve
from tests.factories import marker, past

QUOTA = {"channel": "phone", "limit": 2, "period": "day"}


async def test_quota_check_in_the_past_is_right_or_refused(clean_db: str) -> None:
    async with serve(clean_db, policy_profile="wrexham") as wrexham:
        client = wrexham.client
        imposed = await client.post(
            "/customers/Q1/markers",
            json=marker("contact_quota", details=QUOTA, starts_at=past(45)),
        )
        assert imposed.status_code == 201, imposed.text
        noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
        for days in (39, 4):
            for minutes in (0, 30):
                occurred = noon - timedelta(days=days) + timedelta(minutes=minutes)
                recorded = await client.post(
                    "/customers/Q1/contacts",
                    json={
                        "channel": "phone",
                        "occurred_at": occurred.isoformat(),
                    },
                )
                assert recorded.status_code == 201, recorded.text

        recent = (noon - timedelta(days=4) + timedelta(hours=6)).isoformat()
        for fmt in ("json", "flat"):
            answer = await client.get(
                "/customers/Q1/contact-check",
                params={"channel": "phone", "at": recent, "format": fmt},
            )
            assert answer.status_code == 200
            assert answer.json()["allowed"] in (False, "false")

        old = (noon - timedelta(days=39) + timedelta(hours=6)).isoformat()
        for fmt in ("json", "flat"):
            refused = await client.get(
                "/customers/Q1/contact-check",
                params={"channel": "phone", "at": old, "format": fmt},
            )
            assert refused.status_code == 422, refused.text
            problem = refused.json()
            assert problem["invalid_params"][0]["name"] == "query.at"
            assert "31 days" in problem["detail"] and "earliest" in problem["detail"]

        # The same refusal from the fast layer, which parses the plainest form itself.
        plain = (noon - timedelta(days=39)).strftime("%Y-%m-%dT%H:%M:%SZ")
        refused = await client.get(f"/customers/Q1/contact-check?channel=phone&at={plain}")
        assert refused.status_code == 422
        batch = await client.post(
            "/contact-checks", json={"channel": "phone", "customer_refs": ["Q1"], "at": old}
        )
        assert batch.status_code == 422
        # Named where it was sent: in the body.
        assert [p["name"] for p in batch.json()["invalid_params"]] == ["body.at"]
