"""Reviews of formal decisions, over real HTTP and a real PostgreSQL, under each council's
profile: continue starts the next cycle; vary and lift change the markers in the review's
transaction; the role below the decision maker is refused; a social-media block needs two
distinct reviewers who agree; an overdue review is escalated at the very instant, with
nobody acting; with LAPSE_AT_REVIEW on, the contact check stops restricting at that instant
unless a review renews it; the customer is told only of a change while in active contact;
and the worklist filters and orders."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.domain.lifecycle.reviews import overdue_at
from app.domain.time.clock import utcnow
from app.domain.time.london import to_london
from tests.api.test_decisions import formal
from tests.api.test_incidents import incident
from tests.conftest import Service, serve
from tests.factories import marker

PROFILES = ("flintshire", "wrexham")
# Per profile: who reviews (the decision maker), the role just below, and whom an overdue
# review is escalated to.
REVIEWER = {"flintshire": "ccsm", "wrexham": "service_manager"}
BELOW = {"flintshire": "team_leader", "wrexham": "team_manager"}
ESCALATED = {"flintshire": ["chief_officer"], "wrexham": ["chief_officer_governance_customer"]}

EMAIL_AND_LETTER_ONLY = {
    k: v
    for k, v in marker("channel_limit", details={"channels": ["email", "letter"]}).items()
    if k != "review_due"
}
SCHEDULE = {k: v for k, v in marker("telephone_schedule").items() if k != "review_due"}
SOCIAL = {k: v for k, v in marker("social_media_block").items() if k != "review_due"}


def _start(service: Service) -> date:
    """Stops the clock now; returns today in London."""
    service.clock.fixed = utcnow().replace(microsecond=0)
    return to_london(service.clock.fixed).date()


async def _decide(
    service: Service,
    ref: str,
    markers: list[dict[str, Any]],
    review_due: date | None = None,
    service_name: str = "Housing",
) -> dict[str, Any]:
    created = await service.client.post(
        f"/customers/{ref}/incidents", json=incident(service=service_name)
    )
    assert created.status_code == 201, created.text
    body = formal([created.json()["id"]], markers)
    if review_due is not None:
        body["review_due"] = review_due.isoformat()
    decided = await service.client.post(f"/customers/{ref}/formal-decisions", json=body)
    assert decided.status_code == 201, decided.text
    return dict(decided.json())


async def _review(
    service: Service, decision_id: str, body: dict[str, Any], role: str, subject: str = "rev-1"
) -> httpx.Response:
    return await service.client.post(
        f"/decisions/{decision_id}/reviews",
        json=body,
        headers=service.bearer(role, subject=subject, name="Reviewer"),
    )


def _continue(next_due: date) -> dict[str, Any]:
    return {
        "outcome": "continue",
        "reasons": "Behaviour unchanged.",
        "next_review_due": next_due.isoformat(),
    }


async def _allowed(service: Service, ref: str, channel: str = "phone") -> bool:
    checked = await service.client.get(f"/customers/{ref}/contact-check?channel={channel}")
    assert checked.status_code == 200, checked.text
    return bool(checked.json()["allowed"])


async def _worklist(service: Service, query: str = "") -> list[dict[str, Any]]:
    listed = await service.client.get(f"/reviews{query}")
    assert listed.status_code == 200, listed.text
    return list(listed.json()["reviews"])


async def _case_file_steps(service: Service, ref: str) -> list[str]:
    listed = await service.client.get(f"/customers/{ref}/decisions")
    return [d["step"] for d in listed.json()["decisions"]]


async def _marker(service: Service, marker_id: str) -> dict[str, Any]:
    read = await service.client.get(f"/markers/{marker_id}")
    assert read.status_code == 200, read.text
    return dict(read.json())


@pytest.mark.parametrize("profile", PROFILES)
async def test_continue_records_the_review_and_starts_the_next_cycle(
    clean_db: str, profile: str
) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        today = _start(service)
        decision = await _decide(service, "R1", [SCHEDULE], review_due=today + timedelta(days=10))
        next_due = today + timedelta(days=120)
        reviewed = await _review(service, decision["id"], _continue(next_due), REVIEWER[profile])
        assert reviewed.status_code == 201, reviewed.text
        record = reviewed.json()
        assert record["step"] == "review"
        assert record["about_id"] == decision["id"]
        assert record["recorded_by"] == "rev-1"
        assert record["review_due"] == next_due.isoformat()
        assert record["state"] == "done"
        assert record["customer_to_be_told"] is False
        assert record["details"]["outcome"] == "continue"
        assert record["details"]["cycle"] == 1
        # The marker's review date follows the decision's, as a recorded variation.
        assert record["marker_ids"] == decision["marker_ids"]
        schedule = await _marker(service, decision["marker_ids"][0])
        assert schedule["review_due"] == next_due.isoformat()
        assert schedule["version"] == 2
        [changed] = record["details"]["markers_changed"]
        assert changed["fields"]["review_due"]["to"] == next_due.isoformat()
        # The next cycle: due on the date the review set, nobody has reviewed it yet.
        [entry] = await _worklist(service)
        assert entry["decision_id"] == decision["id"]
        assert (entry["cycle"], entry["review_due"], entry["state"]) == (
            2,
            next_due.isoformat(),
            "due",
        )
        assert entry["reviewers"] == 0 and entry["last_review_id"] == record["id"]
        assert await _case_file_steps(service, "R1") == ["review", "formal_decision"]


@pytest.mark.parametrize("profile", PROFILES)
async def test_the_role_below_the_decision_maker_may_not_review(
    clean_db: str, profile: str
) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        today = _start(service)
        decision = await _decide(service, "R2", [SCHEDULE])
        refused = await _review(
            service, decision["id"], _continue(today + timedelta(days=30)), BELOW[profile]
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["action"] == "review_decision"
        assert await _case_file_steps(service, "R2") == ["formal_decision"]
        if profile == "wrexham":
            # "The relevant Service Manager or the Complaints Lead": either reviews.
            done = await _review(
                service, decision["id"], _continue(today + timedelta(days=30)), "complaints_lead"
            )
            assert done.status_code == 201, done.text


async def test_only_a_formal_decision_is_reviewed(service: Service) -> None:
    today = _start(service)
    created = await service.client.post("/customers/R3/incidents", json=incident())
    warned = await service.client.post(
        "/customers/R3/call-warnings",
        json={
            "incident_ids": [created.json()["id"]],
            "occurred_at": service.clock.fixed.isoformat() if service.clock.fixed else "",
        },
    )
    assert warned.status_code == 201, warned.text
    body = _continue(today + timedelta(days=30))
    refused = await _review(service, warned.json()["id"], body, "ccsm")
    assert refused.status_code == 422, refused.text
    [param] = refused.json()["invalid_params"]
    assert param["name"] == "path.decision_id" and "call_warning" in param["reason"]
    missing = await _review(service, "00000000-0000-4000-8000-000000000000", body, "ccsm")
    assert missing.status_code == 404


async def test_the_next_review_date_is_required_within_six_months_and_after_today(
    service: Service,
) -> None:
    today = _start(service)
    decision = await _decide(service, "R4", [SCHEDULE])
    for body, reason in (
        ({"outcome": "continue", "reasons": "r"}, "is required"),
        (_continue(today + timedelta(days=200)), "no more than 6 months"),
        (_continue(today), "must be after the day of the review"),
        ({**_continue(today + timedelta(days=9)), "outcome": "lift"}, "not given with a lift"),
        ({"outcome": "vary", "reasons": "r", "next_review_due": "2099-01-01"}, "variation"),
    ):
        refused = await _review(service, decision["id"], body, "ccsm")
        assert refused.status_code == 422, refused.text
        assert any(reason in p["reason"] for p in refused.json()["invalid_params"]), (
            body,
            refused.text,
        )
    assert await _case_file_steps(service, "R4") == ["formal_decision"]


@pytest.mark.parametrize("profile", PROFILES)
async def test_vary_changes_the_markers_with_the_review(clean_db: str, profile: str) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        today = _start(service)
        decision = await _decide(service, "R5", [SCHEDULE, EMAIL_AND_LETTER_ONLY])
        schedule_id, limit_id = decision["marker_ids"]
        assert not await _allowed(service, "R5", "phone")
        next_due = today + timedelta(days=60)
        body = {
            "outcome": "vary",
            "reasons": "Calls have been courteous: phone reopened.",
            "next_review_due": next_due.isoformat(),
            "variations": [
                {
                    "marker_id": limit_id,
                    "details": {"channels": ["email", "letter", "phone"]},
                    "reason": "Phone reopened at review.",
                }
            ],
        }
        varied = await _review(service, decision["id"], body, REVIEWER[profile])
        assert varied.status_code == 201, varied.text
        record = varied.json()
        assert set(record["marker_ids"]) == {schedule_id, limit_id}
        by_id = {c["marker_id"]: c for c in record["details"]["markers_changed"]}
        assert by_id[limit_id]["change"] == "varied"
        assert by_id[limit_id]["fields"]["details"]["to"]["channels"] == [
            "email",
            "letter",
            "phone",
        ]
        limit = await _marker(service, limit_id)
        assert limit["details"]["channels"] == ["email", "letter", "phone"]
        assert limit["review_due"] == next_due.isoformat()


async def test_a_refused_variation_records_no_review_and_changes_no_marker(
    service: Service,
) -> None:
    today = _start(service)
    decision = await _decide(service, "R6", [SCHEDULE, EMAIL_AND_LETTER_ONLY])
    schedule_id, limit_id = decision["marker_ids"]
    body = {
        "outcome": "vary",
        "reasons": "r",
        "next_review_due": (today + timedelta(days=60)).isoformat(),
        "variations": [
            {"marker_id": schedule_id, "clear_end": True, "reason": "Open-ended."},
            # A channel limit naming a channel that does not exist: refused by the marker rules.
            {"marker_id": limit_id, "details": {"channels": ["fax"]}, "reason": "r"},
        ],
    }
    refused = await _review(service, decision["id"], body, "ccsm")
    assert refused.status_code == 422, refused.text
    assert refused.json()["invalid_params"][0]["name"].startswith("body.variations.1.details")
    assert await _case_file_steps(service, "R6") == ["formal_decision"]
    assert (await _marker(service, schedule_id))["version"] == 1
    assert (await _marker(service, limit_id))["version"] == 1
    # A marker that is not the decision's is named too.
    other = await _decide(service, "R6B", [SCHEDULE])
    body["variations"] = [{"marker_id": other["marker_ids"][0], "reason": "r"}]
    foreign = await _review(service, decision["id"], body, "ccsm")
    assert foreign.status_code == 422
    assert foreign.json()["invalid_params"][0]["name"] == "body.variations.0.marker_id"


@pytest.mark.parametrize("profile", PROFILES)
async def test_lift_lifts_every_marker_still_in_force(clean_db: str, profile: str) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        _start(service)
        decision = await _decide(service, "R7", [SCHEDULE, EMAIL_AND_LETTER_ONLY])
        assert not await _allowed(service, "R7", "phone")
        lifted = await _review(
            service,
            decision["id"],
            {"outcome": "lift", "reasons": "No incident since the decision."},
            REVIEWER[profile],
        )
        assert lifted.status_code == 201, lifted.text
        record = lifted.json()
        assert record["review_due"] is None and record["state"] == "done"
        assert sorted(record["marker_ids"]) == sorted(decision["marker_ids"])
        assert {c["change"] for c in record["details"]["markers_changed"]} == {"lifted"}
        assert await _allowed(service, "R7", "phone")
        for marker_id in decision["marker_ids"]:
            assert (await _marker(service, marker_id))["status"] == "lifted"
        [entry] = await _worklist(service)
        assert entry["state"] == "done"
        again = await _review(
            service, decision["id"], {"outcome": "lift", "reasons": "r"}, REVIEWER[profile]
        )
        assert again.status_code == 409, again.text
        assert "nothing is left to review" in again.json()["detail"]


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_social_media_block_needs_two_distinct_reviewers_who_agree(
    clean_db: str, profile: str
) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        _start(service)
        decision = await _decide(service, "R8", [SOCIAL])
        [block_id] = decision["marker_ids"]
        assert not await _allowed(service, "R8", "social_media")
        lift = {"outcome": "lift", "reasons": "Posts stopped."}
        first = await _review(service, decision["id"], lift, REVIEWER[profile], subject="rev-a")
        assert first.status_code == 201, first.text
        assert first.json()["state"] == "pending_second_reviewer"
        assert (first.json()["reviewers"], first.json()["reviewers_needed"]) == (1, 2)
        assert first.json()["marker_ids"] == [] and first.json()["customer_to_be_told"] is None
        # Nothing changes yet.
        assert not await _allowed(service, "R8", "social_media")
        assert (await _marker(service, block_id))["status"] == "active"
        [entry] = await _worklist(service, "?state=pending_second_reviewer")
        assert (entry["reviewers"], entry["reviewers_needed"], entry["social_media"]) == (
            1,
            2,
            True,
        )
        # The same person twice is not a second reviewer.
        twice = await _review(service, decision["id"], lift, REVIEWER[profile], subject="rev-a")
        assert twice.status_code == 409, twice.text
        assert "rev-a has already recorded this review" in twice.json()["detail"]
        # A second who disagrees does not apply their outcome.
        today = to_london(utcnow()).date()
        disagree = await _review(
            service,
            decision["id"],
            _continue(today + timedelta(days=30)),
            REVIEWER[profile],
            subject="rev-b",
        )
        assert disagree.status_code == 409, disagree.text
        assert "rev-a recorded lift" in disagree.json()["detail"]
        second = await _review(service, decision["id"], lift, REVIEWER[profile], subject="rev-b")
        assert second.status_code == 201, second.text
        assert second.json()["state"] == "done"
        assert second.json()["details"]["reviewers"] == ["rev-a", "rev-b"]
        assert second.json()["marker_ids"] == [block_id]
        assert await _allowed(service, "R8", "social_media")
        assert await _case_file_steps(service, "R8") == ["review", "review", "formal_decision"]


@pytest.mark.parametrize("profile", PROFILES)
async def test_an_overdue_review_is_escalated_at_the_instant_with_nobody_acting(
    clean_db: str, profile: str
) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        today = _start(service)
        due = today + timedelta(days=10)
        decision = await _decide(service, "R9", [SCHEDULE], review_due=due)
        late = overdue_at(due)
        senior = ESCALATED[profile][0]
        service.clock.fixed = late - timedelta(seconds=1)
        [entry] = await _worklist(service)
        assert (entry["state"], entry["escalated_to"], entry["days_overdue"]) == ("due", [], 0)
        assert entry["with_roles"] == sorted(
            {"flintshire": ["ccsm"], "wrexham": ["complaints_lead", "service_manager"]}[profile]
        )
        assert await _worklist(service, f"?role={senior}") == []
        assert len(await _worklist(service, f"?role={REVIEWER[profile]}")) == 1
        service.clock.fixed = late
        [entry] = await _worklist(service)
        assert entry["state"] == "overdue"
        assert datetime.fromisoformat(entry["overdue_at"]) == late
        assert entry["days_overdue"] == 1  # the London day after its date has begun
        assert entry["escalated_to"] == ESCALATED[profile]
        [escalated] = await _worklist(service, f"?role={senior}")
        assert escalated["decision_id"] == decision["id"]
        # Still the decision maker's to do, and it does not lapse unless the option is on.
        assert len(await _worklist(service, f"?role={REVIEWER[profile]}")) == 1
        assert entry["lapses_at"] is None and entry["lapsed"] is False
        service.clock.fixed = late + timedelta(days=2, hours=1)
        [entry] = await _worklist(service, "?state=overdue")
        assert entry["days_overdue"] == 3
        # The review done late clears it.
        reviewed = await _review(
            service,
            decision["id"],
            _continue(to_london(service.clock.fixed).date() + timedelta(days=30)),
            REVIEWER[profile],
        )
        assert reviewed.status_code == 201, reviewed.text
        assert await _worklist(service, f"?role={senior}") == []


async def test_the_restriction_lapses_at_the_instant_its_review_falls_overdue(
    clean_db: str,
) -> None:
    async with serve(clean_db, lapse_at_review="true") as service:
        today = _start(service)
        due = today + timedelta(days=10)
        lapsing = await _decide(service, "L1", [EMAIL_AND_LETTER_ONLY], review_due=due)
        renewed = await _decide(service, "L2", [EMAIL_AND_LETTER_ONLY], review_due=due)
        late = overdue_at(due)
        limit = await _marker(service, lapsing["marker_ids"][0])
        assert datetime.fromisoformat(limit["ends_at"]) == late
        # L2 is renewed by a review that continues it.
        next_due = today + timedelta(days=40)
        reviewed = await _review(service, renewed["id"], _continue(next_due), "ccsm")
        assert reviewed.status_code == 201, reviewed.text
        renewed_marker = await _marker(service, renewed["marker_ids"][0])
        assert datetime.fromisoformat(renewed_marker["ends_at"]) == overdue_at(next_due)
        service.clock.fixed = late - timedelta(seconds=1)
        assert not await _allowed(service, "L1") and not await _allowed(service, "L2")
        service.clock.fixed = late
        # Nobody acted: L1's restriction ends at the instant; L2's was renewed.
        assert await _allowed(service, "L1")
        assert not await _allowed(service, "L2")
        entries = {e["customer_ref"]: e for e in await _worklist(service)}
        assert entries["L1"]["state"] == "overdue" and entries["L1"]["lapsed"] is True
        assert entries["L2"]["lapsed"] is False
        # A lapsed restriction cannot be continued: it would need a new decision.
        too_late = await _review(
            service, lapsing["id"], _continue(today + timedelta(days=60)), "ccsm"
        )
        assert too_late.status_code == 409, too_late.text
        assert "lapsed" in too_late.json()["detail"]
        service.clock.fixed = overdue_at(next_due)
        assert await _allowed(service, "L2")


async def test_without_the_option_an_overdue_restriction_stays_in_force(clean_db: str) -> None:
    async with serve(clean_db, lapse_at_review="profile") as service:
        today = _start(service)
        due = today + timedelta(days=10)
        decision = await _decide(service, "L3", [EMAIL_AND_LETTER_ONLY], review_due=due)
        assert (await _marker(service, decision["marker_ids"][0]))["ends_at"] is None
        service.clock.fixed = overdue_at(due) + timedelta(days=1)
        assert not await _allowed(service, "L3")


async def test_the_customer_is_told_only_of_a_change_while_in_active_contact(
    service: Service,
) -> None:
    today = _start(service)
    assert service.clock.fixed is not None
    now = service.clock.fixed
    next_due = (today + timedelta(days=30)).isoformat()

    async def told(ref: str, outcome: str, contact_days_ago: int | None) -> bool:
        decision = await _decide(service, ref, [SCHEDULE])
        if contact_days_ago is not None:
            occurred = (now - timedelta(days=contact_days_ago)).isoformat()
            recorded = await service.client.post(
                f"/customers/{ref}/contacts", json={"channel": "email", "occurred_at": occurred}
            )
            assert recorded.status_code == 201, recorded.text
        body: dict[str, Any] = {"outcome": outcome, "reasons": "r"}
        if outcome != "lift":
            body["next_review_due"] = next_due
        if outcome == "vary":
            body["variations"] = [
                {"marker_id": decision["marker_ids"][0], "clear_end": True, "reason": "r"}
            ]
        reviewed = await _review(service, decision["id"], body, "ccsm")
        assert reviewed.status_code == 201, reviewed.text
        assert (
            reviewed.json()["details"]["customer_to_be_told"]
            == reviewed.json()["customer_to_be_told"]
        )
        return bool(reviewed.json()["customer_to_be_told"])

    assert await told("T1", "lift", 10) is True
    assert await told("T2", "vary", 89) is True
    assert await told("T3", "lift", None) is False
    assert await told("T4", "lift", 91) is False  # outside the 90-day window
    assert await told("T5", "continue", 1) is False  # no change to tell


async def test_the_worklist_filters_and_orders_by_urgency(service: Service) -> None:
    today = _start(service)
    soon = await _decide(service, "W1", [SCHEDULE], today + timedelta(days=5), "Housing")
    later = await _decide(service, "W2", [SCHEDULE], today + timedelta(days=40), "Waste")
    late_one = await _decide(service, "W3", [SCHEDULE], today + timedelta(days=3), "Housing")
    late_two = await _decide(service, "W4", [SCHEDULE], today + timedelta(days=1), "Waste")
    lifted = await _decide(service, "W5", [SCHEDULE], today + timedelta(days=2), "Waste")
    done = await _review(service, lifted["id"], {"outcome": "lift", "reasons": "r"}, "ccsm")
    assert done.status_code == 201
    # Four days on: W4 (due day 1) and W3 (due day 3) are overdue, W4 the more so.
    assert service.clock.fixed is not None
    service.clock.fixed += timedelta(days=4)
    order = [e["decision_id"] for e in await _worklist(service)]
    assert order == [late_two["id"], late_one["id"], soon["id"], later["id"], lifted["id"]]
    states = [e["state"] for e in await _worklist(service)]
    assert states == ["overdue", "overdue", "due", "due", "done"]

    async def ids(query: str) -> list[str]:
        return [e["decision_id"] for e in await _worklist(service, query)]

    assert await ids("?state=overdue") == [late_two["id"], late_one["id"]]
    assert await ids("?state=done") == [lifted["id"]]
    assert await ids(f"?due_before={(today + timedelta(days=5)).isoformat()}") == [
        late_two["id"],
        late_one["id"],
        soon["id"],
        lifted["id"],
    ]
    assert await ids(f"?due_after={(today + timedelta(days=5)).isoformat()}") == [
        soon["id"],
        later["id"],
    ]
    assert await ids("?service=waste") == [late_two["id"], later["id"], lifted["id"]]
    assert await ids("?role=chief_officer") == [late_two["id"], late_one["id"]]
    assert await ids("?role=chief_officer&service=Housing") == [late_one["id"]]
    # Pages: a cursor carries on where the page before stopped.
    first = await service.client.get("/reviews?limit=2")
    assert [e["decision_id"] for e in first.json()["reviews"]] == [late_two["id"], late_one["id"]]
    cursor = first.json()["next_cursor"]
    second = await service.client.get(f"/reviews?limit=2&cursor={cursor}")
    assert [e["decision_id"] for e in second.json()["reviews"]] == [soon["id"], later["id"]]
    last = await service.client.get(f"/reviews?limit=2&cursor={second.json()['next_cursor']}")
    assert [e["decision_id"] for e in last.json()["reviews"]] == [lifted["id"]]
    assert last.json()["next_cursor"] is None
    for bad in ("?cursor=not-a-cursor", "?role=mayor", "?limit=0", "?limit=201", "?state=late"):
        refused = await service.client.get(f"/reviews{bad}")
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"


async def test_a_restriction_ended_without_a_review_leaves_the_worklist(service: Service) -> None:
    """Lifted otherwise than by a review (an appeal overturned it, or each marker was
    lifted): nothing is left to review, so nothing is due or overdue."""
    _start(service)
    ended = await _decide(service, "R-END", [SCHEDULE])
    kept = await _decide(service, "R-KEEP", [EMAIL_AND_LETTER_ONLY])
    for marker_id in ended["marker_ids"]:
        lifted = await service.client.post(f"/markers/{marker_id}/lift", json={"reason": "r"})
        assert lifted.status_code == 200, lifted.text
    assert [e["decision_id"] for e in await _worklist(service)] == [kept["id"]]


async def test_the_reader_may_not_read_the_worklist(service: Service) -> None:
    refused = await service.client.get("/reviews", headers=service.bearer("reader"))
    assert refused.status_code == 403
    allowed = await service.client.get("/reviews", headers=service.bearer("auditor"))
    assert allowed.status_code == 200


async def test_a_vary_naming_a_marker_twice_is_refused_where_the_second_mention_is(
    service: Service,
) -> None:
    today = _start(service)
    decision = await _decide(service, "R-TWICE", [SCHEDULE])
    schedule_id = decision["marker_ids"][0]
    variation = {"marker_id": schedule_id, "clear_end": True, "reason": "Open-ended."}
    body = {
        "outcome": "vary",
        "reasons": "r",
        "next_review_due": (today + timedelta(days=60)).isoformat(),
        "variations": [variation, {**variation, "on_behalf_of": "CC-17"}],
    }
    refused = await _review(service, decision["id"], body, "ccsm")
    assert refused.status_code == 422, refused.text
    assert refused.json()["invalid_params"] == [
        {"name": "body.variations.1.marker_id", "reason": "give each marker once"},
        {
            "name": "body.variations.1.on_behalf_of",
            "reason": "give on_behalf_of once, on the review itself",
        },
    ]
    assert await _case_file_steps(service, "R-TWICE") == ["formal_decision"]
    assert (await _marker(service, schedule_id))["version"] == 1
