"""Conditional updates: markers and decision records carry their version as an ETag, and
If-Match changes only the version the caller read (412 otherwise, nothing changed)."""

from __future__ import annotations

from typing import Any

from app.domain.time.clock import utcnow
from app.domain.time.london import to_london
from tests.api.test_decisions import SCHEDULE, _incident, formal
from tests.api.test_incidents import incident
from tests.conftest import serve
from tests.factories import marker


async def test_a_marker_changes_only_when_if_match_names_its_latest_version(clean_db: str) -> None:
    async with serve(clean_db) as service:
        created = await service.client.post(
            "/customers/C-PRE1/markers", json=marker("channel_limit")
        )
        assert created.status_code == 201 and created.headers["etag"] == '"v1"'
        url = f"/markers/{created.json()['id']}"
        read = await service.client.get(url)
        assert read.headers["etag"] == '"v1"'
        vary: dict[str, Any] = {"details": {"channels": ["letter"]}, "reason": "Emails abusive."}

        varied = await service.client.post(
            f"{url}/variations", json=vary, headers={"If-Match": read.headers["etag"]}
        )
        assert varied.status_code == 200, varied.text
        assert varied.headers["etag"] == '"v2"'
        # Someone who read version 1 and varies it now is told, and changes nothing.
        stale = await service.client.post(
            f"{url}/variations",
            json={**vary, "details": {"channels": ["email"]}},
            headers={"If-Match": '"v1"'},
        )
        assert stale.status_code == 412, stale.text
        assert stale.json()["type"].endswith(":precondition-failed")
        for other in ('W/"v2"', '"2"', "v2", '"v1", "v3"'):
            refused = await service.client.post(
                f"{url}/lift", json={"reason": "r"}, headers={"If-Match": other}
            )
            assert refused.status_code == 412, (other, refused.text)
        now = await service.client.get(url)
        assert now.json()["version"] == 2 and now.json()["details"]["channels"] == ["letter"]

        lifted = await service.client.post(
            f"{url}/lift", json={"reason": "Reviewed."}, headers={"If-Match": '"v1", "v2"'}
        )
        assert lifted.status_code == 200, lifted.text
        assert lifted.headers["etag"] == '"v3"'


async def test_if_match_any_needs_only_the_record(clean_db: str) -> None:
    async with serve(clean_db) as service:
        created = await service.client.post(
            "/customers/C-PRE2/markers", json=marker("read_and_file")
        )
        lifted = await service.client.post(
            f"/markers/{created.json()['id']}/lift", json={"reason": "r"}, headers={"If-Match": "*"}
        )
        assert lifted.status_code == 200, lifted.text


async def test_a_decision_record_is_corrected_only_at_the_version_read(clean_db: str) -> None:
    async with serve(clean_db) as service:
        ids = [await _incident(service, "C-PRE3")]
        letter = await service.client.post(
            "/customers/C-PRE3/warning-letters",
            json={"incident_ids": ids, "sent_on": "2026-01-05", "policy_copy_enclosed": False},
        )
        url = f"/decisions/{letter.json()['id']}"
        read = await service.client.get(url)
        assert read.headers["etag"] == '"v1"'
        fix = {"expected_version": 1, "reason": "r", "details": {"sent_on": "2026-01-06"}}
        corrected = await service.client.post(
            f"{url}/corrections", json=fix, headers={"If-Match": '"v1"'}
        )
        assert corrected.status_code == 201 and corrected.headers["etag"] == '"v2"'
        again = {**fix, "expected_version": 2, "details": {"sent_on": "2026-01-07"}}
        stale = await service.client.post(
            f"{url}/corrections", json=again, headers={"If-Match": '"v1"'}
        )
        assert stale.status_code == 412, stale.text
        assert (await service.client.get(url)).json()["details"]["sent_on"] == "2026-01-06"


async def test_an_appeal_is_decided_only_at_the_version_read(clean_db: str) -> None:
    async with serve(clean_db) as service:
        ids = [await _incident(service, "C-PRE4")]
        decided = await service.client.post(
            "/customers/C-PRE4/formal-decisions", json=formal(ids, [SCHEDULE])
        )
        today = to_london(utcnow()).date()
        lodged = await service.client.post(
            f"/decisions/{decided.json()['id']}/appeals",
            json={"appeal_received_on": today.isoformat(), "grounds": "Unfair."},
        )
        appeal = f"/appeals/{lodged.json()['id']}/decision"
        outcome = {"outcome": "upheld", "reasons": "Proportionate."}
        decider = service.bearer("chief_officer_governance", subject="appeals-officer")
        refused = await service.client.post(
            appeal, json=outcome, headers={**decider, "If-Match": '"v2"'}
        )
        assert refused.status_code == 412, refused.text
        done = await service.client.post(
            appeal, json=outcome, headers={**decider, "If-Match": '"v1"'}
        )
        assert done.status_code == 201 and done.headers["etag"] == '"v2"'


async def test_an_incident_carries_its_version_as_an_etag(clean_db: str) -> None:
    async with serve(clean_db) as service:
        created = await service.client.post("/customers/C-PRE5/incidents", json=incident())
        assert created.status_code == 201 and created.headers["etag"] == '"v1"'
        read = await service.client.get(f"/incidents/{created.json()['id']}")
        assert read.headers["etag"] == '"v1"'
