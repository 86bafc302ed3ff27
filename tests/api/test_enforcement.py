"""Who may do what, enforced: every action x role x profile x marker kind over real HTTP,
against the table tests/unit/test_matrix.py writes from the two policies (not from the
profiles' data). A role the table allows gets its 2xx; any other is refused. And the dry
run (POST /access/v1/evaluations), asked the same question first, answers what enforcement
then does."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from app.domain.policy.profile import load_profile
from app.domain.time.clock import utcnow
from app.domain.time.london import to_london
from app.domain.vocabulary import Action, MarkerKind, PolicyProfileName
from tests.api.test_incidents import incident
from tests.conftest import Service, serve
from tests.factories import marker
from tests.unit.test_matrix import EXPECTED, may

PER_KIND = (Action.IMPOSE_MARKER, Action.VARY_MARKER, Action.LIFT_MARKER)


def _body(profile: str, kind: MarkerKind) -> dict[str, Any]:
    body = marker(kind.value, additional=True)
    if kind is MarkerKind.TELEPHONE_SUSPENSION and profile == "wrexham":
        body["ends_at"] = (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()
    return body


async def _marker_of(service: Service, profile: str, kind: MarkerKind, ref: str) -> str:
    created = await service.client.post(f"/customers/{ref}/markers", json=_body(profile, kind))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _attempt(
    service: Service,
    client: httpx.AsyncClient,
    profile: str,
    role: str,
    action: Action,
    kind: MarkerKind | None,
    shared: dict[MarkerKind, str],
) -> list[httpx.Response]:
    ref = f"E-{role}"[:64]
    if action is Action.READ_RESTRICTIONS:
        return [
            await client.get(f"/customers/{ref}/restrictions"),
            await client.get(f"/customers/{ref}/restrictions?include=all"),
        ]
    if action is Action.CHECK_CONTACT:
        return [
            await client.get(f"/customers/{ref}/contact-check?channel=phone"),
            await client.get(f"/customers/{ref}/contact-check/flat?channel=email"),
            await client.post("/contact-checks", json={"channel": "phone", "customer_refs": [ref]}),
        ]
    if action is Action.READ_MARKER:
        return [await client.get(f"/markers/{next(iter(shared.values()))}")]
    if action is Action.SET_PREFERENCES:
        return [await client.put(f"/customers/{ref}", json={"preferred_language": "cy"})]
    if action is Action.RECORD_CONTACT:
        return [await client.post(f"/customers/{ref}/contacts", json={"channel": "phone"})]
    if action is Action.EVALUATE_ACCESS:
        return [
            await client.post("/access/v1/evaluation", json={"action": {"name": "read_marker"}}),
            await client.post(
                "/access/v1/evaluations",
                json={"evaluations": [{"action": {"name": "check_contact"}}]},
            ),
        ]
    if action is Action.RECORD_INCIDENT:
        return [await client.post(f"/customers/{ref}/incidents", json=incident())]
    if action is Action.READ_INCIDENTS:
        created = await service.client.post(f"/customers/{ref}/incidents", json=incident())
        assert created.status_code == 201, created.text
        return [
            await client.get(f"/customers/{ref}/incidents"),
            await client.get(f"/incidents/{created.json()['id']}"),
        ]
    if action in APPEALS:
        return [
            await _appeal_step(service, client, profile, action, f"A-{action.value}-{role}"[:64])
        ]
    if action is Action.REVIEW_DECISION:
        # A formal decision of its own (recorded by the full-access client) to review.
        own = f"V-{role}"[:64]
        decided = await _ladder_step(
            service, service.client, profile, Action.MAKE_FORMAL_DECISION, own
        )
        assert decided.status_code == 201, decided.text
        next_due = (to_london(utcnow()).date() + timedelta(days=30)).isoformat()
        review = {"outcome": "continue", "reasons": "r", "next_review_due": next_due}
        return [await client.post(f"/decisions/{decided.json()['id']}/reviews", json=review)]
    if action is Action.READ_REVIEWS:
        return [await client.get("/reviews"), await client.get("/reviews?state=due&limit=5")]
    if action is Action.READ_EVENTS:
        return [
            await client.get("/events"),
            await client.get(f"/events?customer_ref={ref}&type=contactrestrictions.marker.imposed"),
        ]
    if action is Action.MANAGE_SUBSCRIPTIONS:
        # Each route tried on a subscription of its own, made by the full-access client,
        # so that a refused role is refused by every route, not only the first.
        made = await service.client.post(
            "/subscriptions", json={"url": f"https://hooks.example.com/{role}"}
        )
        assert made.status_code == 201, made.text
        one = f"/subscriptions/{made.json()['id']}"
        return [
            await client.post("/subscriptions", json={"url": "https://hooks.example.com/x"}),
            await client.get("/subscriptions"),
            await client.get(one),
            await client.post(f"{one}/pause"),
            await client.post(f"{one}/resume"),
            await client.post(f"{one}/secret-rotations"),
            await client.get(f"{one}/attempts"),
            await client.post(
                f"{one}/redeliveries",
                json={
                    "failed_from": "2026-01-01T00:00:00+00:00",
                    "failed_to": "2026-02-01T00:00:00+00:00",
                },
            ),
            await client.delete(one),
        ]
    if action in LADDER:
        # A customer of its own: a telephone restriction would conflict with the
        # suspension imposed directly above.
        own = f"L-{action.value}-{role}"[:64]
        return [await _ladder_step(service, client, profile, action, own)]
    assert kind is not None
    if action is Action.IMPOSE_MARKER:
        return [await client.post(f"/customers/{ref}/markers", json=_body(profile, kind))]
    if action is Action.VARY_MARKER:
        return [await client.post(f"/markers/{shared[kind]}/variations", json={"reason": "r"})]
    # Lifting ends a marker, so each role lifts one of its own.
    fresh = await _marker_of(service, profile, kind, ref)
    return [await client.post(f"/markers/{fresh}/lift", json={"reason": "r"})]


# The ladder's steps, each tried on a customer whose file already has what the step must
# follow (recorded by the full-access client), so that only the role decides.
LADDER = frozenset(
    {
        Action.RECORD_CALL_WARNING,
        Action.TERMINATE_CALL,
        Action.RESTRICT_TELEPHONE,
        Action.SEND_WARNING_LETTER,
        Action.REFER,
        Action.MAKE_FORMAL_DECISION,
        Action.OVERRIDE_LEAST_RESTRICTIVE,
        Action.READ_DECISIONS,
        Action.REFER_TO_CHIEF_OFFICER,
        Action.ADVISE_ON_REFERRAL,
    }
)
APPENDIX_1 = {
    "customer_name": "n",
    "contact_officer": "o",
    "reason_for_referral": "r",
    "action_to_date": "a",
    "particular_needs": "p",
    "adjustments_sought": "s",
}
# Steps the matrix rules on under both profiles that only Flintshire's ladder has: under
# Wrexham whoever the matrix admits is then refused by the ladder (422 naming the step).
NOT_IN_WREXHAM = frozenset({Action.REFER_TO_CHIEF_OFFICER, Action.ADVISE_ON_REFERRAL})


def _ago(minutes: int) -> str:
    return (utcnow() - timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


async def _ladder_step(
    service: Service, client: httpx.AsyncClient, profile: str, action: Action, ref: str
) -> httpx.Response:
    created = await service.client.post(f"/customers/{ref}/incidents", json=incident())
    assert created.status_code == 201, created.text
    ids = [created.json()["id"]]
    timed = {"incident_ids": ids, "occurred_at": _ago(1)}
    for path in ("call-warnings", "terminated-calls"):
        done = await service.client.post(f"/customers/{ref}/{path}", json=timed)
        assert done.status_code == 201, done.text
    if action is Action.RECORD_CALL_WARNING:
        return await client.post(f"/customers/{ref}/call-warnings", json=timed)
    if action is Action.TERMINATE_CALL:
        return await client.post(f"/customers/{ref}/terminated-calls", json=timed)
    if action is Action.RESTRICT_TELEPHONE:
        body = {"incident_ids": ids, "reason": "r", "ends_at": _ago(-60 * 24)}
        return await client.post(f"/customers/{ref}/telephone-restrictions", json=body)
    if action is Action.SEND_WARNING_LETTER:
        body = {"incident_ids": ids, "sent_on": "2026-01-05", "policy_copy_enclosed": False}
        return await client.post(f"/customers/{ref}/warning-letters", json=body)
    if action is Action.REFER:
        return await client.post(
            f"/customers/{ref}/referrals", json={"incident_ids": ids, "reason": "r"}
        )
    if action is Action.REFER_TO_CHIEF_OFFICER:
        return await client.post(
            f"/customers/{ref}/chief-officer-referrals", json={"incident_ids": ids, **APPENDIX_1}
        )
    if action is Action.ADVISE_ON_REFERRAL:
        advice = {"chief_officer_analysis": "a", "chief_officer_recommendation": "r"}
        if profile == "wrexham":
            # No referral can exist to advise on: advice on another record is refused.
            listed = await service.client.get(f"/customers/{ref}/decisions")
            target = listed.json()["decisions"][0]["id"]
        else:
            asked = await service.client.post(
                f"/customers/{ref}/chief-officer-referrals",
                json={"incident_ids": ids, **APPENDIX_1},
            )
            assert asked.status_code == 201, asked.text
            target = asked.json()["id"]
        return await client.post(f"/decisions/{target}/chief-officer-advice", json=advice)
    if action is Action.READ_DECISIONS:
        listed = await client.get(f"/customers/{ref}/decisions")
        if not listed.is_success:
            return listed
        one = await service.client.get(f"/customers/{ref}/decisions")
        first = await client.get(f"/decisions/{one.json()['decisions'][0]['id']}")
        if not first.is_success:
            return first
        return await client.get("/worklist")
    decided: dict[str, Any] = {
        "incident_ids": ids,
        "reasons": "r",
        "markers": [marker("behaviour_contract", additional=True)],
        "duration": "d",
        "adjustments_considered": True,
        "adjustments_decision": "a",
        "advocacy_considered": True,
        "advocacy_decision": "a",
        "particular_needs": "n",
        "notice": {"decision": "d", "policy_copy_enclosed": True},
    }
    if action is Action.OVERRIDE_LEAST_RESTRICTIVE:
        # Every inbound line closed for good: only an override may decide it.
        decided["markers"] = [
            marker("channel_limit", details={"channels": ["social_media"]}, additional=True),
            marker("social_media_block", additional=True),
        ]
        decided["override_reason"] = "r"
    return await client.post(f"/customers/{ref}/formal-decisions", json=decided)


APPEALS = frozenset({Action.LODGE_APPEAL, Action.DECIDE_APPEAL, Action.READ_ANNUAL_REVIEW})
# Who makes the decision appealed, and who lodges the appeal: not the role under test (its
# token's subject is the default one), so that only the role decides, never a conflict.
APPEAL_MAKER = {"flintshire": "ccsm", "wrexham": "service_manager"}
APPEAL_LODGER = {"flintshire": "employee", "wrexham": "staff"}


async def _appeal_step(
    service: Service, client: httpx.AsyncClient, profile: str, action: Action, ref: str
) -> httpx.Response:
    if action is Action.READ_ANNUAL_REVIEW:
        return await client.get("/reports/annual-review?year=2026")
    created = await service.client.post(f"/customers/{ref}/incidents", json=incident())
    assert created.status_code == 201, created.text
    decided = await service.client.post(
        f"/customers/{ref}/formal-decisions",
        json={
            "incident_ids": [created.json()["id"]],
            "reasons": "r",
            "markers": [marker("behaviour_contract", additional=True)],
            "duration": "d",
            "adjustments_considered": True,
            "adjustments_decision": "a",
            "advocacy_considered": True,
            "advocacy_decision": "a",
            "particular_needs": "n",
            "notice": {"decision": "d", "policy_copy_enclosed": True},
        },
        headers=service.bearer(APPEAL_MAKER[profile], subject="enforcement-maker"),
    )
    assert decided.status_code == 201, decided.text
    appeal = {"appeal_received_on": date.today().isoformat(), "grounds": "g"}
    path = f"/decisions/{decided.json()['id']}/appeals"
    if action is Action.LODGE_APPEAL:
        return await client.post(path, json=appeal)
    lodged = await service.client.post(
        path,
        json=appeal,
        headers=service.bearer(APPEAL_LODGER[profile], subject="enforcement-post"),
    )
    assert lodged.status_code == 201, lodged.text
    outcome = {"outcome": "upheld", "reasons": "r"}
    return await client.post(f"/appeals/{lodged.json()['id']}/decision", json=outcome)


async def _dry_run(
    service: Service, role: str, questions: list[tuple[Action, MarkerKind | None]]
) -> list[bool]:
    """The dry run's answers for `role`, asked by a caller who may ask."""
    evaluations: list[dict[str, Any]] = []
    for action, kind in questions:
        item: dict[str, Any] = {
            "subject": {"type": "roles", "properties": {"roles": [role]}},
            "action": {"name": action.value},
        }
        if kind is not None:
            item["resource"] = {"type": "marker", "properties": {"kind": kind.value}}
        evaluations.append(item)
    response = await service.client.post(
        "/access/v1/evaluations", json={"evaluations": evaluations}
    )
    assert response.status_code == 200, response.text
    return [answer["decision"] for answer in response.json()["evaluations"]]


@pytest.mark.parametrize("profile", sorted(EXPECTED))
async def test_each_role_may_do_exactly_what_its_policy_says(clean_db: str, profile: str) -> None:
    kinds = sorted(load_profile(PolicyProfileName(profile)).kinds)
    questions = [
        (action, kind) for action in Action for kind in (kinds if action in PER_KIND else [None])
    ]
    async with serve(clean_db, policy_profile=profile) as service:
        shared = {kind: await _marker_of(service, profile, kind, "SHARED") for kind in kinds}
        checked = 0
        for role in EXPECTED[profile]:
            dry_run = await _dry_run(service, role, questions)
            async with httpx.AsyncClient(
                base_url=service.base_url, headers=service.bearer(role), timeout=10
            ) as client:
                for (action, kind), evaluated in zip(questions, dry_run, strict=True):
                    allowed = may(profile, role, action, kind or kinds[0])
                    assert evaluated is allowed, (profile, role, action.value, kind)
                    for response in await _attempt(
                        service, client, profile, role, action, kind, shared
                    ):
                        where = (profile, role, action.value, kind, response.text[:300])
                        if allowed and profile == "wrexham" and action in NOT_IN_WREXHAM:
                            assert response.status_code == 422, where
                        elif allowed:
                            assert response.is_success, where
                        else:
                            assert response.status_code == 403, where
                            # An override is asked within a formal decision, so whoever
                            # may not make one is refused that first.
                            refused = response.json()["action"]
                            assert refused == action.value or (
                                action is Action.OVERRIDE_LEAST_RESTRICTIVE
                                and refused == Action.MAKE_FORMAL_DECISION.value
                            ), where
                        checked += 1
        assert checked > 100
