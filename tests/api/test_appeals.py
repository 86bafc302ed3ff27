"""Appeals over real HTTP and a real PostgreSQL, under each council's profile: the deadline
on the 20th working day across a bank holiday, late appeals flagged and not refused, the
route (Wrexham's Complaints-Lead case from the roles on the case file), separation of
duties, varied and overturned outcomes changing the markers in the outcome's transaction,
the ombudsman named, an appeal decided once; and the annual review report."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from app.persistence.db import asyncpg_dsn
from tests.api.test_decisions import SCHEDULE, SPOC, formal
from tests.api.test_incidents import incident
from tests.conftest import Service, serve
from tests.factories import marker

# Thursday 15 April 2027: 20 working days on, with the May Day bank holiday (Monday 3 May)
# not counted, is Friday 14 May (it would be Thursday 13 May without the holiday).
NOTICE_DAY = datetime(2027, 4, 15, 10, tzinfo=UTC)
TWENTIETH_WORKING_DAY = "2027-05-14"
NEXT_WORKING_DAY = "2027-05-17"
AFTER = datetime(2027, 5, 20, 10, tzinfo=UTC)
OMBUDSMAN = "Public Services Ombudsman for Wales"


# Before every clock the tests fix, so that an incident is never in their future.
OCCURRED = "2026-11-01T10:00:00+00:00"


async def _incident(service: Service, ref: str, **changes: Any) -> str:
    body = incident(**{"occurred_at": OCCURRED, **changes})
    created = await service.client.post(f"/customers/{ref}/incidents", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _decide(
    service: Service,
    ref: str,
    role: str,
    subject: str,
    markers: list[dict[str, Any]] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    ids = [await _incident(service, ref)]
    made = await service.client.post(
        f"/customers/{ref}/formal-decisions",
        json=formal(ids, markers or [SCHEDULE, SPOC], **changes),
        headers=service.bearer(role, subject=subject),
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def _lodge(
    service: Service, decision_id: str, received_on: str, role: str = "employee", **changes: Any
) -> httpx.Response:
    """Lodged by whoever opened the letter: the most junior member of staff."""
    body = {"appeal_received_on": received_on, "grounds": "The calls were about a repair."}
    body.update(changes)
    return await service.client.post(
        f"/decisions/{decision_id}/appeals",
        json=body,
        headers=service.bearer(role, subject="post-room"),
    )


async def _outcome(
    service: Service, appeal_id: str, role: str, subject: str, **body: Any
) -> httpx.Response:
    content = {"outcome": "upheld", "reasons": "The decision was proportionate.", **body}
    return await service.client.post(
        f"/appeals/{appeal_id}/decision",
        json=content,
        headers=service.bearer(role, subject=subject),
    )


async def _review(db_url: str, decision: dict[str, Any], reviewer: str, on: datetime) -> str:
    """A review record as app/reviews writes one (step `review`, about the decision): that
    package is built beside this one, and only its rows are needed here."""
    review_id = uuid.uuid4()
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        await conn.execute(
            "INSERT INTO decisions (id, version, customer_ref, step, incident_ids, marker_ids, "
            "details, profile, about_id, recorded_at, recorded_by) "
            "VALUES ($1, 1, $2, 'review', $3, '{}', $4::jsonb, 'flintshire', $5, $6, $7)",
            review_id,
            decision["customer_ref"],
            [uuid.UUID(i) for i in decision["incident_ids"]],
            json.dumps({"outcome": "continued", "reasons": "r"}),
            uuid.UUID(decision["id"]),
            on,
            reviewer,
        )
    finally:
        await conn.close()
    return str(review_id)


async def test_an_appeal_on_the_twentieth_working_day_is_in_time_and_the_next_day_late(
    clean_db: str,
) -> None:
    async with serve(clean_db) as service:
        service.clock.fixed = NOTICE_DAY
        first = await _decide(service, "C-DEADLINE-1", "ccsm", "ccsm-1")
        second = await _decide(service, "C-DEADLINE-2", "ccsm", "ccsm-1")
        assert first["details"]["notice"]["appeal_deadline"] == TWENTIETH_WORKING_DAY
        service.clock.fixed = AFTER

        in_time = await _lodge(service, first["id"], TWENTIETH_WORKING_DAY)
        assert in_time.status_code == 201, in_time.text
        record = in_time.json()
        assert (record["step"], record["about_id"], record["version"]) == (
            "appeal",
            first["id"],
            1,
        )
        assert record["recorded_by"] == "post-room"
        assert record["recorded_by_roles"] == ["employee"]
        details = record["details"]
        assert details["decision_received_on"] == "2027-04-15"
        assert details["deadline"] == TWENTIETH_WORKING_DAY
        assert (details["late"], details["working_days_late"]) == (False, 0)
        assert details["route"]["role"] == "chief_officer_governance"

        # The next working day (after a weekend) is late: recorded and flagged, not refused.
        late = await _lodge(service, second["id"], NEXT_WORKING_DAY)
        assert late.status_code == 201, late.text
        assert late.json()["details"]["deadline"] == TWENTIETH_WORKING_DAY
        assert (late.json()["details"]["late"], late.json()["details"]["working_days_late"]) == (
            True,
            1,
        )


async def test_a_later_receipt_of_the_decision_moves_the_deadline(clean_db: str) -> None:
    async with serve(clean_db) as service:
        service.clock.fixed = NOTICE_DAY
        decision = await _decide(service, "C-RECEIPT", "ccsm", "ccsm-1")
        service.clock.fixed = AFTER
        # Received Monday 19 April: 20 working days on (3 May not counted) is 18 May.
        lodged = await _lodge(
            service, decision["id"], NEXT_WORKING_DAY, decision_received_on="2027-04-19"
        )
        assert lodged.status_code == 201, lodged.text
        assert lodged.json()["details"]["deadline"] == "2027-05-18"
        assert lodged.json()["details"]["late"] is False


async def test_an_appeal_is_refused_in_the_future_before_the_notice_or_against_no_formal_decision(
    clean_db: str,
) -> None:
    async with serve(clean_db) as service:
        service.clock.fixed = NOTICE_DAY
        decision = await _decide(service, "C-BAD", "ccsm", "ccsm-1")
        future = await _lodge(service, decision["id"], "2027-04-16")
        assert future.status_code == 422, future.text
        assert future.json()["invalid_params"][0]["name"] == "body.appeal_received_on"
        assert future.json()["type"].endswith(":validation-error")
        early = await _lodge(
            service, decision["id"], "2027-04-15", decision_received_on="2027-04-14"
        )
        assert early.status_code == 422, early.text
        assert early.json()["invalid_params"][0]["name"] == "body.decision_received_on"
        warning = await service.client.post(
            "/customers/C-BAD/warning-letters",
            json={
                "incident_ids": decision["incident_ids"],
                "sent_on": "2027-04-15",
                "policy_copy_enclosed": True,
            },
        )
        assert warning.status_code == 201, warning.text
        not_formal = await _lodge(service, warning.json()["id"], "2027-04-15")
        assert not_formal.status_code == 422, not_formal.text
        assert "not a formal_decision" in not_formal.json()["detail"]
        missing = await _lodge(service, str(uuid.uuid4()), "2027-04-15")
        assert missing.status_code == 404
        listed = await service.client.get(f"/decisions/{decision['id']}/appeals")
        assert listed.json()["appeals"] == []


async def test_wrexham_appeals_go_to_the_complaints_team_unless_a_complaints_lead_was_involved(
    clean_db: str,
) -> None:
    async with serve(clean_db, policy_profile="wrexham") as service:
        usual = await _decide(service, "C-ROUTE-1", "service_manager", "sm-1")
        routed = await _lodge(service, usual["id"], date.today().isoformat(), "staff")
        assert routed.status_code == 201, routed.text
        route = routed.json()["details"]["route"]
        assert (route["role"], route["reason"], route["involved"]) == (
            "complaints_team",
            "policy",
            [],
        )

        # The Complaints Lead issued the warning letter: the records show it.
        ref = "C-ROUTE-2"
        ids = [await _incident(service, ref)]
        letter = await service.client.post(
            f"/customers/{ref}/warning-letters",
            json={
                "incident_ids": ids,
                "sent_on": date.today().isoformat(),
                "policy_copy_enclosed": True,
            },
            headers=service.bearer("complaints_lead", subject="lead-1"),
        )
        assert letter.status_code == 201, letter.text
        assert letter.json()["recorded_by_roles"] == ["complaints_lead"]
        involved = await _decide(service, ref, "service_manager", "sm-1")
        lodged = await _lodge(service, involved["id"], date.today().isoformat(), "staff")
        assert lodged.status_code == 201, lodged.text
        route = lodged.json()["details"]["route"]
        assert (route["role"], route["reason"], route["involved"]) == (
            "chief_officer_governance_customer",
            "involved",
            ["complaints_lead"],
        )
        appeal_id = lodged.json()["id"]

        # The Complaints Team (and the Complaints Lead who leads it) may not decide it.
        for role in ("complaints_team", "complaints_lead"):
            refused = await _outcome(service, appeal_id, role, "ct-1")
            assert refused.status_code == 403, refused.text
            assert refused.json()["route"] == "chief_officer_governance_customer"
            assert "chief_officer_governance_customer" in refused.json()["detail"]
        decided = await _outcome(service, appeal_id, "chief_officer_governance_customer", "cogc-1")
        assert decided.status_code == 201, decided.text

        # The usual route: a member of the Complaints Team decides; staff just below may not.
        below = await _outcome(service, routed.json()["id"], "staff", "staff-1")
        assert below.status_code == 403, below.text
        assert below.json()["action"] == "decide_appeal"
        team = await _outcome(service, routed.json()["id"], "complaints_team", "ct-1")
        assert team.status_code == 201, team.text
        assert team.json()["details"]["ombudsman"] == OMBUDSMAN


async def test_nobody_who_made_advised_on_or_reviewed_the_decision_may_decide_its_appeal(
    clean_db: str,
) -> None:
    cog = "chief_officer_governance"
    ref = "C-SEPARATE"
    async with serve(clean_db) as service:
        ids = [await _incident(service, ref)]
        referred = await service.client.post(
            f"/customers/{ref}/referrals",
            json={"incident_ids": ids, "reason": "Abuse after a warning letter."},
            headers=service.bearer(cog, subject="referrer"),
        )
        assert referred.status_code == 201, referred.text
        asked = await service.client.post(
            f"/customers/{ref}/chief-officer-referrals",
            json={
                "incident_ids": ids,
                "customer_name": "n",
                "contact_officer": "o",
                "reason_for_referral": "r",
                "action_to_date": "a",
                "particular_needs": "p",
                "adjustments_sought": "s",
            },
            headers=service.bearer("ccsm", subject="ccsm-asker"),
        )
        assert asked.status_code == 201, asked.text
        advised = await service.client.post(
            f"/decisions/{asked.json()['id']}/chief-officer-advice",
            json={"chief_officer_analysis": "a", "chief_officer_recommendation": "r"},
            headers=service.bearer(cog, subject="adviser"),
        )
        assert advised.status_code == 201, advised.text
        made = await service.client.post(
            f"/customers/{ref}/formal-decisions",
            json=formal(ids, [SCHEDULE, SPOC]),
            headers=service.bearer(cog, subject="maker"),
        )
        assert made.status_code == 201, made.text
        decision = made.json()
        await _review(clean_db, decision, "maker", datetime.now(UTC))
        await _review(clean_db, decision, "reviewer", datetime.now(UTC))
        lodged = await _lodge(service, decision["id"], date.today().isoformat())
        assert lodged.status_code == 201, lodged.text
        appeal_id = lodged.json()["id"]

        for subject, parts in (
            ("maker", ["made", "reviewed"]),
            ("referrer", ["advised"]),
            ("adviser", ["advised"]),
            ("reviewer", ["reviewed"]),
        ):
            refused = await _outcome(service, appeal_id, cog, subject)
            assert refused.status_code == 403, (subject, refused.text)
            problem = refused.json()
            assert problem["type"].endswith("separation-of-duties")
            assert problem["conflict"] == {"subject": subject, "parts": parts}
            assert " and ".join(parts) in problem["detail"]

        # The role just below the Chief Officer Governance is refused by the matrix.
        below = await _outcome(service, appeal_id, "chief_officer", "co-1")
        assert below.status_code == 403
        assert below.json()["action"] == "decide_appeal"

        decided = await _outcome(service, appeal_id, cog, "cog-free")
        assert decided.status_code == 201, decided.text
        outcome = decided.json()
        assert (outcome["id"], outcome["version"], outcome["recorded_by"]) == (
            appeal_id,
            2,
            "cog-free",
        )
        assert outcome["details"]["outcome"] == "upheld"
        assert outcome["details"]["ombudsman"] == OMBUDSMAN
        assert OMBUDSMAN in outcome["details"]["ombudsman_right"]
        assert outcome["change_reason"] == "the appeal decided: upheld"

        again = await _outcome(service, appeal_id, cog, "cog-other", outcome="overturned")
        assert again.status_code == 409, again.text
        markers = (await service.client.get(f"/decisions/{decision['id']}")).json()["markers"]
        assert {m["status"] for m in markers} == {"active"}


async def test_a_varied_outcome_varies_the_markers_all_or_nothing(clean_db: str) -> None:
    cog = "chief_officer_governance"
    async with serve(clean_db) as service:
        decision = await _decide(service, "C-VARY", "ccsm", "ccsm-1")
        schedule_id, spoc_id = decision["marker_ids"]
        lodged = await _lodge(service, decision["id"], date.today().isoformat())
        appeal_id = lodged.json()["id"]
        wider = {
            "windows": [
                {"days": ["monday", "tuesday", "thursday"], "start": "09:00", "end": "12:00"}
            ]
        }
        good = {"marker_id": schedule_id, "details": wider, "reason": "Varied on appeal."}
        # The second variation is refused (an end already past): the first is not kept and
        # the appeal stays undecided.
        bad = {"marker_id": spoc_id, "ends_at": "2020-01-01T00:00:00+00:00", "reason": "r"}
        refused = await _outcome(
            service, appeal_id, cog, "cog-1", outcome="varied", variations=[good, bad]
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["invalid_params"][0]["name"].startswith("body.variations.1.")
        schedule = (await service.client.get(f"/markers/{schedule_id}")).json()
        assert schedule["version"] == 1
        listed = (await service.client.get(f"/decisions/{decision['id']}/appeals")).json()
        assert [a["version"] for a in listed["appeals"]] == [1]

        not_ours = await _outcome(
            service,
            appeal_id,
            cog,
            "cog-1",
            outcome="varied",
            variations=[{**good, "marker_id": str(uuid.uuid4())}],
        )
        assert not_ours.status_code == 422, not_ours.text
        none_given = await _outcome(service, appeal_id, cog, "cog-1", outcome="varied")
        assert none_given.status_code == 422, none_given.text

        varied = await _outcome(
            service, appeal_id, cog, "cog-1", outcome="varied", variations=[good]
        )
        assert varied.status_code == 201, varied.text
        assert varied.json()["details"]["markers_varied"] == [schedule_id]
        schedule = (await service.client.get(f"/markers/{schedule_id}")).json()
        assert schedule["version"] == 2
        assert schedule["details"]["windows"] == wider["windows"]
        listed = (await service.client.get(f"/decisions/{decision['id']}/appeals")).json()
        assert [(a["id"], a["version"]) for a in listed["appeals"]] == [(appeal_id, 2)]
        assert listed["appeals"][0]["details"]["outcome"] == "varied"


async def test_an_overturned_decision_has_every_marker_still_in_force_lifted(
    clean_db: str,
) -> None:
    async with serve(clean_db, policy_profile="wrexham") as service:
        decision = await _decide(service, "C-OVERTURN", "service_manager", "sm-1")
        lodged = await _lodge(service, decision["id"], date.today().isoformat(), "staff")
        # A member of the Complaints Team may not impose these markers, but the appeal is
        # theirs to decide, and so the markers' end.
        overturned = await _outcome(
            service, lodged.json()["id"], "complaints_team", "ct-1", outcome="overturned"
        )
        assert overturned.status_code == 201, overturned.text
        assert sorted(overturned.json()["details"]["markers_lifted"]) == sorted(
            decision["marker_ids"]
        )
        markers = (await service.client.get(f"/decisions/{decision['id']}")).json()["markers"]
        assert {m["status"] for m in markers} == {"lifted"}
        check = await service.client.get("/customers/C-OVERTURN/contact-check?channel=phone")
        assert check.json()["allowed"] is True


async def test_the_annual_review_reports_the_year_and_flags_what_is_inconsistent(
    clean_db: str,
) -> None:
    cog = "chief_officer_governance"
    async with serve(clean_db) as service:
        # One decision in the year before (March 2027), left out of 2027's report.
        service.clock.fixed = datetime(2027, 3, 15, 10, tzinfo=UTC)
        await _decide(service, "C-YEAR-0", "ccsm", "ccsm-1")

        service.clock.fixed = NOTICE_DAY
        # Abuse, 30 days: the channel limit ends on 15 May.
        short = await _decide(
            service,
            "C-YEAR-1",
            "ccsm",
            "ccsm-1",
            markers=[
                {
                    k: v
                    for k, v in marker("channel_limit", ends_at="2027-05-15T10:00:00+00:00").items()
                    if k != "review_due"
                }
            ],
            duration="One month",
        )
        # Abuse, open-ended until its review on 15 October: 183 days, over three times 30.
        long = await _decide(
            service,
            "C-YEAR-2",
            "ccsm",
            "ccsm-1",
            duration="Six months, then reviewed",
            review_due="2027-10-15",
        )
        await _review(clean_db, short, "ccsm-1", datetime(2027, 5, 10, 10, tzinfo=UTC))
        service.clock.fixed = datetime(2027, 4, 20, 10, tzinfo=UTC)
        lodged = await _lodge(service, short["id"], "2027-04-16")
        assert lodged.status_code == 201, lodged.text
        assert lodged.json()["details"]["decision_due"] == "2027-05-17"
        # Decided a day after it was due.
        service.clock.fixed = datetime(2027, 5, 18, 10, tzinfo=UTC)
        decided = await _outcome(service, lodged.json()["id"], cog, "cog-1")
        assert decided.status_code == 201, decided.text

        service.clock.fixed = datetime(2027, 11, 1, 10, tzinfo=UTC)
        below = await service.client.get(
            "/reports/annual-review?year=2027", headers=service.bearer("team_leader")
        )
        assert below.status_code == 403
        got = await service.client.get(
            "/reports/annual-review?year=2027", headers=service.bearer("ccsm")
        )
        assert got.status_code == 200, got.text
        report = got.json()
        assert (report["starts_on"], report["ends_on"]) == ("2027-04-01", "2028-03-31")
        lines = {d["id"]: d for d in report["decisions"]}
        assert set(lines) == {short["id"], long["id"]}
        one = lines[short["id"]]
        assert one["marker_kinds"] == ["channel_limit"]
        assert (one["duration"], one["duration_days"]) == ("One month", 30)
        assert one["behaviour_categories"] == ["aggressive_abusive"]
        assert [(r["done_on"], r["on_time"]) for r in one["reviews"]] == [("2027-05-10", True)]
        assert [(a["outcome"], a["decided_on"]) for a in one["appeals"]] == [
            ("upheld", "2027-05-18")
        ]
        assert one["least_restrictive_overridden"] is False
        two = lines[long["id"]]
        assert sorted(two["marker_kinds"]) == ["single_point_of_contact", "telephone_schedule"]
        assert two["duration_days"] == 183
        assert two["reviews"] == [] and two["appeals"] == []

        flags = {(f["code"], frozenset(f["decision_ids"])) for f in report["flags"]}
        assert flags == {
            ("inconsistent_durations", frozenset({short["id"], long["id"]})),
            ("appeal_decided_late", frozenset({short["id"]})),
            ("missing_review", frozenset({long["id"]})),
        }
        inconsistent = next(f for f in report["flags"] if f["code"] == "inconsistent_durations")
        assert inconsistent["category"] == "aggressive_abusive"
        bad_year = await service.client.get("/reports/annual-review?year=nineteen")
        assert bad_year.status_code == 422


@pytest.mark.parametrize("profile", ["flintshire", "wrexham"])
async def test_the_roles_each_record_was_made_with_are_kept(clean_db: str, profile: str) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        role = "ccsm" if profile == "flintshire" else "complaints_lead"
        decision = await _decide(service, "C-ROLES", role, "who-1")
        assert decision["recorded_by_roles"] == [role]


async def test_a_varied_outcome_names_a_repeated_marker_and_a_staff_on_behalf_of_in_place(
    clean_db: str,
) -> None:
    cog = "chief_officer_governance"
    async with serve(clean_db) as service:
        decision = await _decide(service, "C-VARY-NAMED", "ccsm", "ccsm-1")
        schedule_id = decision["marker_ids"][0]
        lodged = await _lodge(service, decision["id"], date.today().isoformat())
        appeal_id = lodged.json()["id"]
        good = {"marker_id": schedule_id, "reason": "Varied on appeal.", "services": ["Housing"]}
        twice = await _outcome(
            service, appeal_id, cog, "cog-1", outcome="varied", variations=[good, good]
        )
        assert twice.status_code == 422, twice.text
        assert twice.json()["invalid_params"] == [
            {"name": "body.variations.1.marker_id", "reason": "give each marker once"}
        ]
        # Only a machine client acts for someone else: a member of staff's on_behalf_of is
        # refused where it is in the request, and nothing is varied.
        for_someone = await _outcome(
            service,
            appeal_id,
            cog,
            "cog-1",
            outcome="varied",
            variations=[{**good, "on_behalf_of": "CC-17"}],
        )
        assert for_someone.status_code == 422, for_someone.text
        assert [p["name"] for p in for_someone.json()["invalid_params"]] == [
            "body.variations.0.on_behalf_of"
        ]
        assert (await service.client.get(f"/markers/{schedule_id}")).json()["version"] == 1


async def test_an_overturned_outcome_leaves_a_marker_already_lifted_as_it_was(
    clean_db: str,
) -> None:
    async with serve(clean_db) as service:
        decision = await _decide(service, "C-OVERTURN-REST", "ccsm", "ccsm-1")
        schedule_id, spoc_id = decision["marker_ids"]
        lifted = await service.client.post(
            f"/markers/{schedule_id}/lift", json={"reason": "Lifted before the appeal."}
        )
        assert lifted.status_code == 200, lifted.text
        lodged = await _lodge(service, decision["id"], date.today().isoformat())
        overturned = await _outcome(
            service,
            lodged.json()["id"],
            "chief_officer_governance",
            "cog-1",
            outcome="overturned",
        )
        assert overturned.status_code == 201, overturned.text
        assert overturned.json()["details"]["markers_lifted"] == [spoc_id]
        schedule = (await service.client.get(f"/markers/{schedule_id}")).json()
        assert schedule["version"] == 2
        assert schedule["lift_reason"] == "Lifted before the appeal."
