"""The escalation ladder as decision records, over real HTTP and a real PostgreSQL, under
each council's profile: each step recorded by the role the policy names and refused for the
role just below; steps out of order refused naming the rule; a formal decision's markers
created with it or not at all, linked both ways; least restrictive enforced and overridden
only by the role allowed; the case file newest first, immutable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from app.domain.lifecycle.working_days import add_working_days, is_working_day
from app.domain.policy.profile import load_profile
from app.domain.time.clock import utcnow
from app.domain.time.london import to_london
from app.domain.vocabulary import PolicyProfileName
from app.persistence.db import asyncpg_dsn
from tests.api.test_incidents import incident
from tests.conftest import Service, serve
from tests.factories import marker


def _ago(**delta: float) -> str:
    return (utcnow() - timedelta(**delta)).replace(microsecond=0).isoformat()


def _later(**delta: float) -> str:
    return (utcnow() + timedelta(**delta)).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Roles:
    """Per step: the role the policy names, and the role just below it."""

    warn: tuple[str, str]
    terminate: tuple[str, str]
    restrict: tuple[str, str]
    letter: tuple[str, str]
    refer: tuple[str, str]
    decide: tuple[str, str]
    override: tuple[str, str]
    report_to: str
    review: tuple[str, str]
    appeal: tuple[str, str]


# Below a step every member of staff may take, the only role left is a machine client's.
ROLES = {
    "flintshire": Roles(
        warn=("employee", "reader"),
        terminate=("employee", "contact_recorder"),
        restrict=("team_leader", "employee"),
        letter=("team_leader", "employee"),
        refer=("team_leader", "employee"),
        decide=("ccsm", "team_leader"),
        override=("chief_officer", "ccsm"),
        report_to="team_leader",
        review=("ccsm", "team_leader"),
        appeal=("chief_officer_governance", "chief_officer"),
    ),
    "wrexham": Roles(
        warn=("staff", "reader"),
        terminate=("staff", "contact_recorder"),
        restrict=("line_manager", "staff"),
        letter=("team_manager", "line_manager"),
        refer=("team_manager", "line_manager"),
        decide=("service_manager", "team_manager"),
        override=("chief_officer_governance_customer", "service_manager"),
        report_to="line_manager",
        review=("service_manager", "team_manager"),
        appeal=("complaints_team", "staff"),
    ),
}


def formal(
    incident_ids: list[str], markers: list[dict[str, Any]], **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "incident_ids": incident_ids,
        "reasons": "Abusive calls continued after a warning letter.",
        "markers": markers,
        "duration": "Six months, then reviewed",
        "adjustments_considered": True,
        "adjustments_decision": "Large-print letters offered.",
        "advocacy_considered": True,
        "advocacy_decision": "Advocacy service details enclosed.",
        "particular_needs": "None known.",
        "notice": {
            "decision": "Calls on Tuesdays 10:00-12:00; one officer.",
            "policy_copy_enclosed": True,
        },
    }
    body.update(changes)
    return body


def _undated(kind: str) -> dict[str, Any]:
    """A marker body that leaves its review date to the decision."""
    return {k: v for k, v in marker(kind).items() if k != "review_due"}


SCHEDULE = _undated("telephone_schedule")
SPOC = _undated("single_point_of_contact")


async def _post(service: Service, path: str, body: dict[str, Any], role: str) -> httpx.Response:
    return await service.client.post(path, json=body, headers=service.bearer(role))


async def _incident(service: Service, ref: str) -> str:
    created = await service.client.post(f"/customers/{ref}/incidents", json=incident())
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _step(
    service: Service, ref: str, path: str, body: dict[str, Any], roles: tuple[str, str]
) -> dict[str, Any]:
    """Refused for the role just below (and nothing recorded), then recorded by the role."""
    url = f"/customers/{ref}/{path}"
    refused = await _post(service, url, body, roles[1])
    assert refused.status_code == 403, (path, refused.text)
    recorded = await _post(service, url, body, roles[0])
    assert recorded.status_code == 201, (path, recorded.text)
    return dict(recorded.json())


@pytest.mark.parametrize("profile", sorted(ROLES))
async def test_a_customer_walked_up_the_ladder_with_the_right_role_at_each_step(
    clean_db: str, profile: str
) -> None:
    roles = ROLES[profile]
    ref = "C-LADDER"
    async with serve(clean_db, policy_profile=profile) as service:
        first = await _incident(service, ref)
        ids = [first]
        warning = await _step(
            service,
            ref,
            "call-warnings",
            {"incident_ids": ids, "occurred_at": _ago(minutes=30)},
            roles.warn,
        )
        terminated = await _step(
            service,
            ref,
            "terminated-calls",
            {"incident_ids": ids, "occurred_at": _ago(minutes=29)},
            roles.terminate,
        )
        second = await _incident(service, ref)
        restriction_body: dict[str, Any] = {
            "incident_ids": [second],
            "reason": "Abuse continued on the next call.",
        }
        if profile == "wrexham":
            restriction_body["ends_at"] = _later(days=3)
        restriction = await _step(
            service, ref, "telephone-restrictions", restriction_body, roles.restrict
        )
        letter = await _step(
            service,
            ref,
            "warning-letters",
            {
                "incident_ids": [*ids, second],
                "sent_on": to_london(utcnow()).date().isoformat(),
                "policy_copy_enclosed": True,
            },
            roles.letter,
        )
        referral = await _step(
            service,
            ref,
            "referrals",
            {"incident_ids": [second], "reason": "Serious, and a warning was given."},
            roles.refer,
        )
        decision = await _step(
            service,
            ref,
            "formal-decisions",
            formal([first, second], [SCHEDULE, SPOC]),
            roles.decide,
        )

        for record in (warning, terminated, restriction, letter, referral, decision):
            assert record["profile"] == profile
            # Stamped with the rules it was judged under, as they are in this build.
            assert record["profile_version"] == load_profile(PolicyProfileName(profile)).version
            assert record["version"] == 1
            assert record["customer_ref"] == ref
        assert terminated["details"]["report_to"] == roles.report_to
        assert letter["details"]["policy_copy_enclosed"] is True
        assert (
            referral["details"]["referred_to"]
            == {"flintshire": "ccsm", "wrexham": "service_manager"}[profile]
        )

        # The short restriction imposed its telephone suspension: phone denied now.
        assert len(restriction["marker_ids"]) == 1
        check = await service.client.get(f"/customers/{ref}/contact-check?channel=phone")
        assert check.json()["outcome"] == "deny", check.text
        if profile == "flintshire":
            one = await service.client.get(f"/decisions/{restriction['id']}")
            suspension = one.json()["markers"][0]
            assert suspension["kind"] == "telephone_suspension"
            # "For one day".
            assert suspension["ends_at"] is not None

        # The formal decision: its notice, and its markers linked both ways.
        notice = decision["details"]["notice"]
        assert (
            notice["appeal_deadline"]
            == add_working_days(to_london(utcnow()).date(), 20).isoformat()
        )
        assert is_working_day(date.fromisoformat(notice["appeal_deadline"]))
        assert "Public Services Ombudsman for Wales" in notice["appeal_right"]
        assert notice["reasons"] == formal([], [])["reasons"]
        assert decision["review_due"] == notice["review_due"]
        assert len(decision["marker_ids"]) == 2
        linked = await service.client.get(f"/decisions/{decision['id']}")
        assert linked.status_code == 200, linked.text
        assert {m["kind"] for m in linked.json()["markers"]} == {
            "telephone_schedule",
            "single_point_of_contact",
        }
        assert sorted(m["id"] for m in linked.json()["markers"]) == sorted(decision["marker_ids"])
        assert [i["id"] for i in linked.json()["incidents"]] == [first, second]
        # A marker without a review date takes the decision's.
        assert all(m["review_due"] == decision["review_due"] for m in linked.json()["markers"])
        restrictions = await service.client.get(f"/customers/{ref}/restrictions")
        kinds = {m["kind"] for m in restrictions.json()["markers"]}
        assert {"telephone_schedule", "single_point_of_contact"} <= kinds

        # The case file, newest first.
        case = await service.client.get(
            f"/customers/{ref}/decisions", headers=service.bearer(roles.warn[0])
        )
        assert case.status_code == 200, case.text
        assert [d["step"] for d in case.json()["decisions"]] == [
            "formal_decision",
            "referral",
            "warning_letter",
            "telephone_restriction",
            "terminated_call",
            "call_warning",
        ]
        assert case.json()["decisions"][0] == decision

        # A review that varies it: the schedule opens a second morning.
        schedule_id = next(
            m["id"] for m in linked.json()["markers"] if m["kind"] == "telephone_schedule"
        )
        wider = {"windows": [{"days": ["tuesday", "thursday"], "start": "10:00", "end": "12:00"}]}
        review = await _step_on(
            service,
            f"/decisions/{decision['id']}/reviews",
            {
                "outcome": "vary",
                "reasons": "Calls have been courteous; a second morning is opened.",
                "next_review_due": (to_london(utcnow()).date() + timedelta(days=90)).isoformat(),
                "variations": [{"marker_id": schedule_id, "details": wider, "reason": "Reviewed."}],
            },
            roles.review,
        )
        assert review["step"] == "review" and review["about_id"] == decision["id"]
        varied = await service.client.get(f"/markers/{schedule_id}")
        assert varied.json()["version"] == 2
        assert varied.json()["details"]["windows"] == wider["windows"]

        # An appeal, recorded by whoever opened the letter, decided by the one person the
        # policy names, who took no part in the decision.
        appeal = await _step_on(
            service,
            f"/decisions/{decision['id']}/appeals",
            {
                "appeal_received_on": to_london(utcnow()).date().isoformat(),
                "grounds": "The calls were about an urgent repair.",
            },
            roles.warn,
        )
        assert appeal["details"]["route"]["role"] == roles.appeal[0]
        assert appeal["details"]["late"] is False
        decided = await _step_on(
            service,
            f"/appeals/{appeal['id']}/decision",
            {"outcome": "upheld", "reasons": "The decision was proportionate."},
            roles.appeal,
            subject="appeals-officer",
        )
        assert decided["details"]["outcome"] == "upheld"
        assert "Public Services Ombudsman for Wales" in str(decided["details"])
        steps = await service.client.get(f"/customers/{ref}/decisions")
        assert [d["step"] for d in steps.json()["decisions"]][:2] == ["appeal", "review"]


async def _step_on(
    service: Service,
    path: str,
    body: dict[str, Any],
    roles: tuple[str, str],
    subject: str = "officer-0001",
) -> dict[str, Any]:
    """As `_step`, on a path of its own: refused for the role below, then recorded."""
    below = service.bearer(roles[1], subject=subject)
    refused = await service.client.post(path, json=body, headers=below)
    assert refused.status_code == 403, (path, refused.text)
    done = await service.client.post(
        path, json=body, headers=service.bearer(roles[0], subject=subject)
    )
    assert done.status_code == 201, (path, done.text)
    return dict(done.json())


@pytest.mark.parametrize("profile", sorted(ROLES))
async def test_a_short_telephone_restriction_needs_a_terminated_call_first(
    clean_db: str, profile: str
) -> None:
    roles = ROLES[profile]
    async with serve(clean_db, policy_profile=profile) as service:
        ids = [await _incident(service, "C-ORDER")]
        body: dict[str, Any] = {"incident_ids": ids, "reason": "Abuse on the phone."}
        if profile == "wrexham":
            body["ends_at"] = _later(days=2)
        refused = await _post(
            service, "/customers/C-ORDER/telephone-restrictions", body, roles.restrict[0]
        )
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["type"].endswith("policy-violation")
        assert problem["invalid_params"][0]["name"] == "step"
        assert "terminated_call" in problem["invalid_params"][0]["reason"]
        # Nothing imposed.
        restrictions = await service.client.get("/customers/C-ORDER/restrictions")
        assert restrictions.json()["markers"] == []
        # A terminated call needs a warning first.
        early = await _post(
            service,
            "/customers/C-ORDER/terminated-calls",
            {"incident_ids": ids, "occurred_at": _ago(minutes=5)},
            roles.terminate[0],
        )
        assert early.status_code == 422, early.text
        assert "call_warning" in early.json()["invalid_params"][0]["reason"]


async def test_a_step_links_only_the_customer_s_own_incidents(clean_db: str) -> None:
    async with serve(clean_db) as service:
        other = await _incident(service, "C-OTHER")
        mine = await _incident(service, "C-MINE")
        refused = await service.client.post(
            "/customers/C-MINE/call-warnings",
            json={"incident_ids": [mine, other, str(uuid.uuid4())], "occurred_at": _ago(minutes=1)},
        )
        assert refused.status_code == 422, refused.text
        assert {p["name"] for p in refused.json()["invalid_params"]} == {
            "body.incident_ids.1",
            "body.incident_ids.2",
        }
        case = await service.client.get("/customers/C-MINE/decisions")
        assert case.json() == {"customer_ref": "C-MINE", "decisions": []}


@pytest.mark.parametrize("profile", sorted(ROLES))
async def test_a_refused_marker_leaves_no_decision_and_no_marker(
    clean_db: str, profile: str
) -> None:
    async with serve(clean_db, policy_profile=profile) as service:
        ids = [await _incident(service, "C-ATOMIC")]
        past = marker("single_point_of_contact", ends_at=_ago(days=1))
        refused = await service.client.post(
            "/customers/C-ATOMIC/formal-decisions", json=formal(ids, [SCHEDULE, past])
        )
        assert refused.status_code == 422, refused.text
        assert "body.markers.1.ends_at" in {p["name"] for p in refused.json()["invalid_params"]}
        case = await service.client.get("/customers/C-ATOMIC/decisions")
        assert case.json()["decisions"] == []
        restrictions = await service.client.get("/customers/C-ATOMIC/restrictions?include=all")
        assert restrictions.json()["markers"] == []


async def test_a_formal_decision_shows_adjustments_and_advocacy_were_considered(
    clean_db: str,
) -> None:
    async with serve(clean_db) as service:
        ids = [await _incident(service, "C-ADJ")]
        refused = await service.client.post(
            "/customers/C-ADJ/formal-decisions",
            json=formal(ids, [SCHEDULE], advocacy_considered=False),
        )
        assert refused.status_code == 422, refused.text
        assert [p["name"] for p in refused.json()["invalid_params"]] == ["body.advocacy_considered"]
        late = await service.client.post(
            "/customers/C-ADJ/formal-decisions",
            json=formal(
                ids, [SCHEDULE], review_due=(utcnow() + timedelta(days=200)).date().isoformat()
            ),
        )
        assert late.status_code == 422, late.text
        assert late.json()["invalid_params"][0]["name"] == "body.review_due"


CLOSING = [
    marker("channel_limit", details={"channels": ["social_media"]}),
    marker("social_media_block"),
]


@pytest.mark.parametrize("profile", sorted(ROLES))
async def test_least_restrictive_refuses_closing_every_line_unless_overridden_by_the_role_allowed(
    clean_db: str, profile: str
) -> None:
    roles = ROLES[profile]
    async with serve(clean_db, policy_profile=profile) as service:
        ids = [await _incident(service, "C-CLOSED")]
        url = "/customers/C-CLOSED/formal-decisions"
        refused = await _post(service, url, formal(ids, CLOSING), roles.decide[0])
        assert refused.status_code == 422, refused.text
        params = {p["name"]: p["reason"] for p in refused.json()["invalid_params"]}
        assert set(params) == {
            f"channels.{c}"
            for c in ("phone", "email", "letter", "in_person", "online", "social_media")
        }
        assert "body.markers.0" in params["channels.phone"]
        assert "body.markers.1" in params["channels.social_media"]
        assert (await service.client.get("/customers/C-CLOSED/restrictions")).json()[
            "markers"
        ] == []

        reason = "Threats to staff on every channel; police involved."
        below = await _post(
            service, url, formal(ids, CLOSING, override_reason=reason), roles.override[1]
        )
        assert below.status_code == 403, below.text
        assert below.json()["action"] == "override_least_restrictive"

        overridden = await _post(
            service, url, formal(ids, CLOSING, override_reason=reason), roles.override[0]
        )
        assert overridden.status_code == 201, overridden.text
        assert overridden.json()["least_restrictive_overridden"] is True
        assert overridden.json()["override_reason"] == reason

        # An override where a line stays open would flag what did not happen.
        needless = await _post(
            service,
            "/customers/C-OPEN/formal-decisions",
            formal([await _incident(service, "C-OPEN")], [SCHEDULE], override_reason=reason),
            roles.override[0],
        )
        assert needless.status_code == 422, needless.text
        assert needless.json()["invalid_params"][0]["name"] == "body.override_reason"
        plain = await _post(
            service,
            "/customers/C-OPEN/formal-decisions",
            formal([await _incident(service, "C-OPEN")], [SCHEDULE]),
            roles.decide[0],
        )
        assert plain.status_code == 201, plain.text
        assert plain.json()["least_restrictive_overridden"] is False


@pytest.mark.parametrize("profile", sorted(ROLES))
async def test_a_terminated_call_is_on_the_worklist_of_the_role_it_is_reported_to(
    clean_db: str, profile: str
) -> None:
    roles = ROLES[profile]
    async with serve(clean_db, policy_profile=profile) as service:
        ids = [await _incident(service, "C-WORK")]
        await _post(
            service,
            "/customers/C-WORK/call-warnings",
            {"incident_ids": ids, "occurred_at": _ago(minutes=3)},
            roles.warn[0],
        )
        ended = await _post(
            service,
            "/customers/C-WORK/terminated-calls",
            {"incident_ids": ids, "occurred_at": _ago(minutes=2)},
            roles.terminate[0],
        )
        assert ended.status_code == 201, ended.text
        theirs = await service.client.get("/worklist", headers=service.bearer(roles.report_to))
        assert theirs.status_code == 200, theirs.text
        items = theirs.json()["items"]
        assert [(i["decision_id"], i["role"], i["item"]) for i in items] == [
            (ended.json()["id"], roles.report_to, "report_terminated_call")
        ]
        senior = await service.client.get("/worklist", headers=service.bearer(roles.decide[0]))
        assert len(senior.json()["items"]) == 1
        staff = await service.client.get("/worklist", headers=service.bearer(roles.warn[0]))
        assert staff.json()["items"] == []


async def test_decision_records_are_immutable(clean_db: str) -> None:
    async with serve(clean_db) as service:
        ids = [await _incident(service, "C-IMM")]
        created = await service.client.post(
            "/customers/C-IMM/call-warnings",
            json={"incident_ids": ids, "occurred_at": _ago(minutes=1)},
        )
        assert created.status_code == 201, created.text
        missing = await service.client.get(f"/decisions/{uuid.uuid4()}")
        assert missing.status_code == 404, missing.text
    conn = await asyncpg.connect(asyncpg_dsn(clean_db))
    try:
        with pytest.raises(asyncpg.exceptions.RestrictViolationError):
            await conn.execute("UPDATE decisions SET step = 'referral'")
        with pytest.raises(asyncpg.exceptions.RestrictViolationError):
            await conn.execute("DELETE FROM decisions")
    finally:
        await conn.close()


APPENDIX_1 = {
    "customer_name": "J. Smith",
    "contact_officer": "EMP-1042",
    "reason_for_referral": "Threats to staff; complex; asks for email only.",
    "action_to_date": "Warning on the call, one-day restriction, warning letter.",
    "particular_needs": "Hearing impairment.",
    "adjustments_sought": "Written contact.",
}
ADVICE = {
    "chief_officer_analysis": "Threats justify restriction; email stays open.",
    "chief_officer_recommendation": "Email only, single point of contact.",
}


async def test_flintshire_s_ccsm_asks_a_chief_officer_who_answers_on_the_referral(
    clean_db: str,
) -> None:
    async with serve(clean_db, policy_profile="flintshire") as service:
        ids = [await _incident(service, "C-APP1")]
        referral = await _step(
            service,
            "C-APP1",
            "chief-officer-referrals",
            {"incident_ids": ids, **APPENDIX_1},
            ("ccsm", "team_leader"),
        )
        assert referral["step"] == "chief_officer_referral"
        assert referral["details"]["referred_to"] == "chief_officer"
        assert referral["details"]["customer_ref"] == "C-APP1"
        url = f"/decisions/{referral['id']}/chief-officer-advice"
        below = await _post(service, url, ADVICE, "ccsm")
        assert below.status_code == 403, below.text
        advised = await _post(service, url, ADVICE, "chief_officer")
        assert advised.status_code == 201, advised.text
        answer = advised.json()
        assert answer["id"] == referral["id"]
        assert answer["version"] == 2
        assert answer["change_reason"]
        # The request as made, with the answer beside it.
        assert answer["details"] == {
            **referral["details"],
            **ADVICE,
            "advised_by": answer["details"]["advised_by"],
            "advised_at": answer["details"]["advised_at"],
        }
        one = await service.client.get(f"/decisions/{referral['id']}")
        assert one.json()["version"] == 2
        case = await service.client.get("/customers/C-APP1/decisions")
        assert [(d["id"], d["version"]) for d in case.json()["decisions"]] == [(referral["id"], 2)]
        again = await _post(service, url, ADVICE, "chief_officer")
        assert again.status_code == 409, again.text

        warning = await service.client.post(
            "/customers/C-APP1/call-warnings",
            json={"incident_ids": ids, "occurred_at": _ago(minutes=1)},
        )
        wrong = await _post(
            service,
            f"/decisions/{warning.json()['id']}/chief-officer-advice",
            ADVICE,
            "chief_officer",
        )
        assert wrong.status_code == 422, wrong.text
        (param,) = wrong.json()["invalid_params"]
        assert param["name"] == "path.decision_id" and "call_warning" in param["reason"]


async def test_wrexham_s_ladder_has_no_chief_officer_referral(clean_db: str) -> None:
    async with serve(clean_db, policy_profile="wrexham") as service:
        ids = [await _incident(service, "C-NOAPP")]
        refused = await _post(
            service,
            "/customers/C-NOAPP/chief-officer-referrals",
            {"incident_ids": ids, **APPENDIX_1},
            "service_manager",
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["invalid_params"][0]["name"] == "step"
        assert "chief_officer_referral" in refused.json()["invalid_params"][0]["reason"]


@pytest.mark.parametrize("profile", sorted(ROLES))
async def test_a_correction_is_the_next_version_by_whoever_may_record_the_step(
    clean_db: str, profile: str
) -> None:
    roles = ROLES[profile]
    async with serve(clean_db, policy_profile=profile) as service:
        ids = [await _incident(service, "C-FIX")]
        letter = await _step(
            service,
            "C-FIX",
            "warning-letters",
            {"incident_ids": ids, "sent_on": "2026-01-05", "policy_copy_enclosed": False},
            roles.letter,
        )
        url = f"/decisions/{letter['id']}/corrections"
        fix = {
            "expected_version": 1,
            "reason": "The letter went a day later, with the policy enclosed.",
            "details": {"sent_on": "2026-01-06", "policy_copy_enclosed": True},
        }
        # Below the role that sends warning letters: refused, naming that step's action.
        refused = await _post(service, url, fix, roles.letter[1])
        assert refused.status_code == 403, refused.text
        assert refused.json()["action"] == "send_warning_letter"

        corrector = service.bearer(roles.letter[0], subject="corrector-7", name="C. Seven")
        corrected = await service.client.post(url, json=fix, headers=corrector)
        assert corrected.status_code == 201, corrected.text
        body = corrected.json()
        assert body["id"] == letter["id"] and body["version"] == 2
        assert body["details"] == {"sent_on": "2026-01-06", "policy_copy_enclosed": True}
        assert body["change_reason"] == fix["reason"]
        assert body["recorded_by"] == "corrector-7"
        assert body["incident_ids"] == letter["incident_ids"]

        # The case file and the record read back the correction; version 1 is kept.
        read = await service.client.get(f"/decisions/{letter['id']}")
        assert read.json()["version"] == 2
        listed = await service.client.get("/customers/C-FIX/decisions")
        assert [d["version"] for d in listed.json()["decisions"]] == [2]

        # Correcting version 1 again: someone was first.
        stale = await service.client.post(url, json=fix, headers=corrector)
        assert stale.status_code == 409, stale.text
    conn = await asyncpg.connect(asyncpg_dsn(clean_db))
    try:
        versions = await conn.fetch(
            "SELECT version, details->>'sent_on' AS sent_on FROM decisions WHERE id = $1 "
            "ORDER BY version",
            uuid.UUID(letter["id"]),
        )
    finally:
        await conn.close()
    assert [(v["version"], v["sent_on"]) for v in versions] == [
        (1, "2026-01-05"),
        (2, "2026-01-06"),
    ]


async def test_a_correction_changes_only_what_the_recorder_wrote_down(clean_db: str) -> None:
    async with serve(clean_db, policy_profile="flintshire") as service:
        ids = [await _incident(service, "C-FIX2")]
        decided = await service.client.post(
            "/customers/C-FIX2/formal-decisions", json=formal(ids, [SCHEDULE])
        )
        assert decided.status_code == 201, decided.text
        url = f"/decisions/{decided.json()['id']}/corrections"

        async def attempt(details: dict[str, Any]) -> httpx.Response:
            body = {"expected_version": 1, "reason": "typo", "details": details}
            return await service.client.post(url, json=body)

        # A letter's field on a formal decision: refused, naming what it may correct.
        wrong = await attempt({"sent_on": "2026-01-06"})
        assert wrong.status_code == 422, wrong.text
        [param] = wrong.json()["invalid_params"]
        assert param["name"] == "body.details.sent_on"
        assert "reasons" in param["reason"] and "particular_needs" in param["reason"]
        # What the service worked out is not a field at all.
        computed = await attempt({"appeal_deadline": "2027-01-01"})
        assert computed.status_code == 422, computed.text
        assert (await attempt({})).status_code == 422
        same = await attempt({"reasons": decided.json()["details"]["reasons"]})
        assert same.status_code == 422, same.text

        fixed = await attempt({"reasons": "Abusive and threatening calls after a warning."})
        assert fixed.status_code == 201, fixed.text
        details = fixed.json()["details"]
        assert details["reasons"] == "Abusive and threatening calls after a warning."
        # The notice as sent stays as it was sent; the markers stay the decision's.
        assert details["notice"] == decided.json()["details"]["notice"]
        assert fixed.json()["marker_ids"] == decided.json()["marker_ids"]

        warned = await service.client.post(
            "/customers/C-FIX2/call-warnings",
            json={"incident_ids": ids, "occurred_at": _ago(hours=1)},
        )
        future = await service.client.post(
            f"/decisions/{warned.json()['id']}/corrections",
            json={
                "expected_version": 1,
                "reason": "r",
                "details": {"occurred_at": _later(hours=1)},
            },
        )
        assert future.status_code == 422, future.text
        assert future.json()["invalid_params"][0]["name"] == "body.details.occurred_at"


async def test_a_variation_may_not_be_what_closes_the_last_line(clean_db: str) -> None:
    async with serve(clean_db) as service:
        ids = [await _incident(service, "C-VARY-CLOSED")]
        decided = await service.client.post(
            "/customers/C-VARY-CLOSED/formal-decisions",
            json=formal(
                ids,
                [
                    _undated("social_media_block"),
                    {
                        **_undated("channel_limit"),
                        "details": {"channels": ["email", "social_media"]},
                    },
                ],
            ),
        )
        assert decided.status_code == 201, decided.text
        limit = next(
            m["id"]
            for m in (await service.client.get(f"/decisions/{decided.json()['id']}")).json()[
                "markers"
            ]
            if m["kind"] == "channel_limit"
        )
        closing = {"details": {"channels": ["social_media"]}, "reason": "Email abusive too."}
        refused = await service.client.post(f"/markers/{limit}/variations", json=closing)
        assert refused.status_code == 422, refused.text
        assert "channels.email" in {p["name"] for p in refused.json()["invalid_params"]}
        assert (await service.client.get(f"/markers/{limit}")).json()["version"] == 1
        # A review that would vary it so is refused the same way when it applies (the
        # second of a social-media block's two reviewers), and records nothing.
        review = {
            "outcome": "vary",
            "reasons": "r",
            "next_review_due": (to_london(utcnow()).date() + timedelta(days=60)).isoformat(),
            "variations": [{"marker_id": limit, **closing}],
        }
        url = f"/decisions/{decided.json()['id']}/reviews"
        first = await _post_as(service, url, review, "reviewer-1")
        assert first.status_code == 201 and first.json()["state"] == "pending_second_reviewer"
        second = await _post_as(service, url, review, "reviewer-2")
        assert second.status_code == 422, second.text
        steps = await service.client.get("/customers/C-VARY-CLOSED/decisions")
        assert [d["step"] for d in steps.json()["decisions"]] == ["review", "formal_decision"]
        assert (await service.client.get(f"/markers/{limit}")).json()["version"] == 1


async def _post_as(
    service: Service, path: str, body: dict[str, Any], subject: str
) -> httpx.Response:
    return await service.client.post(
        path, json=body, headers=service.bearer("ccsm", subject=subject)
    )
