"""Incidents over real HTTP and a real PostgreSQL, under each council's profile: what staff
record is read back as recorded, newest first; the policy's rules (its categories and
behaviours, the police fields for threats and harassment, Appendix 2's outcome) refuse
what breaks them with a 422 naming each field; the note never reaches the logs."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from app.domain.time.clock import utcnow
from app.persistence.db import asyncpg_dsn
from tests.conftest import Service, serve
from tests.issuer import DEFAULT_SUBJECT

POLICE = {"police_reported_at", "police_reference", "police_not_reported_reason"}


def _ago(**delta: float) -> str:
    return (utcnow() - timedelta(**delta)).replace(microsecond=0).isoformat()


def incident(**changes: Any) -> dict[str, Any]:
    """An incident every profile accepts, with `changes` applied (None removes a field)."""
    body: dict[str, Any] = {
        "category": "aggressive_abusive",
        "behaviours": ["swearing_or_abusive_language", "rudeness_or_shouting"],
        "channel": "phone",
        "occurred_at": _ago(hours=1),
        "service": "Housing",
        "staff": ["EMP-1042"],
        "note": "Caller shouted and swore at the officer about a repair.",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    return {p["name"] for p in response.json()["invalid_params"]}


async def _record(service: Service, ref: str, role: str, **changes: Any) -> httpx.Response:
    return await service.client.post(
        f"/customers/{ref}/incidents", json=incident(**changes), headers=service.bearer(role)
    )


@pytest.mark.parametrize(("profile", "role"), [("flintshire", "employee"), ("wrexham", "staff")])
async def test_staff_record_an_incident_and_read_it_back_newest_first(
    clean_db: str, profile: str, role: str
) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        earlier = await _record(service, "C-1", role, occurred_at=_ago(days=2))
        assert earlier.status_code == 201, earlier.text
        later = await _record(
            service,
            "C-1",
            role,
            behaviours=["threat_of_violence"],
            occurred_at=_ago(hours=3),
            police_reported_at=_ago(hours=2),
            police_reference="NWP-2611-0042",
        )
        assert later.status_code == 201, later.text
        recorded = later.json()
        assert recorded["version"] == 1
        assert recorded["profile"] == profile
        assert recorded["recorded_by"] == DEFAULT_SUBJECT
        assert recorded["on_behalf_of"] is None
        assert recorded["behaviours"] == ["threat_of_violence"]
        assert recorded["police_reference"] == "NWP-2611-0042"
        assert recorded["staff"] == ["EMP-1042"]
        assert recorded["note"] == incident()["note"]

        reader = service.bearer(role)
        listed = await service.client.get("/customers/C-1/incidents", headers=reader)
        assert listed.status_code == 200, listed.text
        assert [i["id"] for i in listed.json()["incidents"]] == [
            recorded["id"],
            earlier.json()["id"],
        ]
        one = await service.client.get(f"/incidents/{recorded['id']}", headers=reader)
        assert one.status_code == 200, one.text
        assert one.json() == recorded
        none = await service.client.get("/customers/C-NONE/incidents", headers=reader)
        assert none.json() == {"customer_ref": "C-NONE", "incidents": []}
        missing = await service.client.get(f"/incidents/{uuid.uuid4()}", headers=reader)
        assert missing.status_code == 404, missing.text


async def test_wrexham_lists_online_reports_and_office_visits_and_flintshire_does_not(
    clean_db: str,
) -> None:
    extra = ["excessive_calls", "excessive_online_reports", "excessive_office_visits"]
    changes = {"category": "unreasonable_persistence", "behaviours": extra}
    async with serve(clean_db, policy_profile="wrexham") as service:
        response = await _record(service, "C-2", "staff", **changes)
        assert response.status_code == 201, response.text
        assert response.json()["behaviours"] == extra
    async with serve(clean_db, policy_profile="flintshire") as service:
        refused = await _record(service, "C-2", "employee", **changes)
        assert _fields(refused) == {"body.behaviours.1", "body.behaviours.2"}
        assert refused.json()["type"].endswith("policy-violation")
        # A behaviour of another category than the one given.
        wrong = await _record(
            service, "C-2", "employee", behaviours=["swearing_or_abusive_language", "spamming"]
        )
        assert _fields(wrong) == {"body.behaviours.1"}


async def test_social_media_is_flintshire_s_and_records_its_outcome(clean_db: str) -> None:
    social = {
        "category": "social_media",
        "behaviours": ["abusive_or_threatening_post", "doxing"],
        "channel": "social_media",
        "social_media_outcome": "vexatious",
    }
    async with serve(clean_db, policy_profile="wrexham") as service:
        assert _fields(await _record(service, "C-3", "staff", **social)) == {"body.category"}
    async with serve(clean_db, policy_profile="flintshire") as service:
        recorded = await _record(service, "C-3", "employee", **social)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["social_media_outcome"] == "vexatious"
        no_outcome = await _record(
            service, "C-3", "employee", **{**social, "social_media_outcome": None}
        )
        assert _fields(no_outcome) == {"body.social_media_outcome"}
        by_phone = await _record(service, "C-3", "employee", **{**social, "channel": "phone"})
        assert _fields(by_phone) == {"body.channel"}
        # Appendix 2: a threat goes to the police first.
        threat = await _record(
            service, "C-3", "employee", **{**social, "social_media_outcome": "threat"}
        )
        assert _fields(threat) == {f"body.{f}" for f in POLICE}
        not_social = await _record(service, "C-3", "employee", social_media_outcome="one_off")
        assert _fields(not_social) == {"body.social_media_outcome"}


@pytest.mark.parametrize(("profile", "role"), [("flintshire", "employee"), ("wrexham", "staff")])
async def test_threats_and_harassment_carry_the_police_fields(
    clean_db: str, profile: str, role: str
) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        for behaviour in ("threat_of_violence", "harassment"):
            bare = await _record(service, "C-4", role, behaviours=[behaviour])
            assert _fields(bare) == {f"body.{f}" for f in POLICE}
            reasons = " ".join(p["reason"] for p in bare.json()["invalid_params"])
            assert "police" in reasons
        half = await _record(
            service, "C-4", role, behaviours=["harassment"], police_reported_at=_ago(minutes=5)
        )
        assert _fields(half) == {"body.police_reference"}
        both = await _record(
            service,
            "C-4",
            role,
            behaviours=["harassment"],
            police_reference="NWP-1",
            police_reported_at=_ago(minutes=5),
            police_not_reported_reason="The officer asked us not to.",
        )
        assert _fields(both) == {"body.police_not_reported_reason"}
        reason = await _record(
            service,
            "C-4",
            role,
            behaviours=["threat_of_violence"],
            police_not_reported_reason="The officer did not want it reported.",
        )
        assert reason.status_code == 201, reason.text
        # Nothing was recorded by the refused attempts.
        listed = await service.client.get("/customers/C-4/incidents")
        assert [i["id"] for i in listed.json()["incidents"]] == [reason.json()["id"]]


async def test_an_incident_in_the_future_is_refused(service: Service) -> None:
    tomorrow = (utcnow() + timedelta(days=1)).replace(microsecond=0).isoformat()
    assert _fields(await _record(service, "C-5", "employee", occurred_at=tomorrow)) == {
        "body.occurred_at"
    }
    # A time without an offset is ambiguous, as everywhere else in the API.
    naive = await _record(service, "C-5", "employee", occurred_at="2026-01-05T10:00:00")
    assert _fields(naive) == {"body.occurred_at"}
    # An over-long note, or none, is refused before anything is kept.
    assert _fields(await _record(service, "C-5", "employee", note="x" * 1001)) == {"body.note"}
    assert _fields(await _record(service, "C-5", "employee", note="   ")) == {"body.note"}
    assert _fields(await _record(service, "C-5", "employee", staff=[])) == {"body.staff"}


@pytest.mark.parametrize(("profile", "staff"), [("flintshire", "employee"), ("wrexham", "staff")])
async def test_the_reader_may_not_see_incidents_and_the_auditor_may_not_record_them(
    clean_db: str, profile: str, staff: str
) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        recorded = await _record(service, "C-6", staff)
        assert recorded.status_code == 201, recorded.text
        reader = service.bearer("reader")
        for path in ("/customers/C-6/incidents", f"/incidents/{recorded.json()['id']}"):
            refused = await service.client.get(path, headers=reader)
            assert refused.status_code == 403, refused.text
            assert refused.json()["action"] == "read_incidents"
        assert (await _record(service, "C-6", "reader")).status_code == 403
        assert (await _record(service, "C-6", "auditor")).status_code == 403
        audited = await service.client.get(
            "/customers/C-6/incidents", headers=service.bearer("auditor")
        )
        assert audited.status_code == 200, audited.text


async def test_a_machine_client_records_for_a_named_member_of_staff(service: Service) -> None:
    telephony = service.bearer("contact_recorder", subject="telephony", application=True)
    anonymous = await service.client.post(
        "/customers/C-7/incidents", json=incident(), headers=telephony
    )
    assert _fields(anonymous) == {"body.on_behalf_of"}
    named = await service.client.post(
        "/customers/C-7/incidents", json=incident(on_behalf_of="CC-17"), headers=telephony
    )
    assert named.status_code == 201, named.text
    assert (named.json()["recorded_by"], named.json()["on_behalf_of"]) == ("telephony", "CC-17")
    # Staff are recorded as themselves.
    staff = await _record(service, "C-7", "employee", on_behalf_of="CC-17")
    assert _fields(staff) == {"body.on_behalf_of"}


async def test_the_note_is_kept_but_never_logged(
    clean_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Zebra-Quartz-4471"
    async with serve(clean_db) as service:
        kept = await _record(service, "C-8", "employee", note=f"Said {secret} twice.")
        assert kept.status_code == 201, kept.text
        refused = [
            await _record(service, "C-8", "employee", note=secret * 100),
            await _record(
                service,
                "C-8",
                "employee",
                note=f"Said {secret}.",
                behaviours=["harassment"],
                police_not_reported_reason=None,
            ),
            await _record(service, "C-8", "reader", note=secret),
            await _record(
                service,
                "C-8",
                "employee",
                behaviours=["threat_of_violence"],
                police_not_reported_reason=f"Because {secret}.",
                police_reference="R1",
            ),
        ]
        assert [r.status_code for r in refused] == [422, 422, 403, 422]
        for response in refused:
            assert secret not in response.text
        read = await service.client.get("/customers/C-8/incidents")
        assert secret in read.text
    assert caplog.records, "the service logged nothing, so the test could not fail"
    assert secret not in caplog.text


async def test_the_database_refuses_to_change_or_remove_an_incident(
    service: Service, clean_db: str
) -> None:
    recorded = await _record(service, "C-9", "employee")
    assert recorded.status_code == 201, recorded.text
    conn = await asyncpg.connect(asyncpg_dsn(clean_db))
    try:
        for statement in (
            "UPDATE incidents SET note = 'rewritten' WHERE id = $1",
            "DELETE FROM incidents WHERE id = $1",
        ):
            with pytest.raises(asyncpg.exceptions.RestrictViolationError):
                await conn.execute(statement, uuid.UUID(recorded.json()["id"]))
    finally:
        await conn.close()
    again = await service.client.get(f"/incidents/{recorded.json()['id']}")
    assert again.json()["note"] == incident()["note"]


async def test_times_are_shown_in_london_to_the_second(service: Service) -> None:
    recorded = await _record(
        service,
        "C-10",
        "employee",
        behaviours=["harassment"],
        occurred_at="2026-07-01T09:30:00.750Z",
        police_reported_at="2026-07-01T11:00:00+00:00",
        police_reference="NWP-7",
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["occurred_at"] == "2026-07-01T10:30:00+01:00"
    assert recorded.json()["police_reported_at"] == "2026-07-01T12:00:00+01:00"
