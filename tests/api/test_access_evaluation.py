"""The dry run (POST /access/v1/evaluation and /evaluations) over real HTTP: it answers as
the table written from the two policies (tests/unit/test_matrix.py) says, with the very
decision the matrix gives enforcement, for every action x role x profile x kind."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.domain.policy import matrix
from app.domain.policy.profile import load_profile
from app.domain.vocabulary import Action, MarkerKind, PolicyProfileName
from app.problems import PROBLEM_JSON, TYPE_BASE
from tests.conftest import Service, serve
from tests.unit.test_matrix import EXPECTED, may

SINGLE = "/access/v1/evaluation"
BATCH = "/access/v1/evaluations"
LIMIT = 100


def _roles(*roles: str) -> dict[str, Any]:
    return {"type": "roles", "properties": {"roles": list(roles)}}


def _kind(kind: MarkerKind | str) -> dict[str, Any]:
    return {"type": "marker", "properties": {"kind": str(kind)}}


def _item(role: str, action: Action, kind: MarkerKind | None) -> dict[str, Any]:
    item: dict[str, Any] = {"subject": _roles(role), "action": {"name": action.value}}
    if kind is not None:
        item["resource"] = _kind(kind)
    return item


def _policy_says(profile: str, role: str, action: Action, kind: MarkerKind | None) -> bool:
    """The table's answer; with no kind, a per-kind action is allowed on some kind."""
    if kind is not None:
        return may(profile, role, action, kind)
    return any(may(profile, role, action, k) for k in MarkerKind)


@pytest.mark.parametrize("profile", sorted(EXPECTED))
async def test_every_evaluation_is_the_policy_and_the_matrix_decision(
    clean_db: str, profile: str
) -> None:
    loaded = load_profile(PolicyProfileName(profile))
    cases = [
        (role, action, kind)
        for role in EXPECTED[profile]
        for action in Action
        for kind in (*MarkerKind, None)
    ]
    async with serve(clean_db, policy_profile=profile) as service:
        answers: list[dict[str, Any]] = []
        for start in range(0, len(cases), LIMIT):
            chunk = cases[start : start + LIMIT]
            response = await service.client.post(
                BATCH, json={"evaluations": [_item(*case) for case in chunk]}
            )
            assert response.status_code == 200, response.text
            answers.extend(response.json()["evaluations"])
    assert len(answers) == len(cases)
    for (role, action, kind), given in zip(cases, answers, strict=True):
        where = (profile, role, action.value, kind)
        assert given["decision"] is _policy_says(profile, role, action, kind), where
        roles = frozenset({role})
        decision = (
            matrix.decide(loaded, roles, action, kind)
            if kind is not None
            else matrix.decide_any_kind(loaded, roles, action)
        )
        assert given["decision"] is decision.allowed, where
        assert given["context"] == {
            "action": action.value,
            "kind": kind.value if kind is not None else None,
            "rule": decision.rule,
            "reason": decision.reason,
            "allowed_roles": list(decision.allowed_roles),
            "roles": [role],
            "roles_from": "request",
            "reason_admin": {"en": decision.reason},
        }, where


async def test_may_a_team_leader_impose_a_telephone_schedule(service: Service) -> None:
    response = await service.client.post(
        SINGLE,
        json={
            "subject": _roles("team_leader"),
            "action": {"name": "impose_marker"},
            "resource": _kind("telephone_schedule"),
        },
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["decision"] is False
    assert answer["context"]["allowed_roles"] == [
        "ccsm",
        "chief_officer",
        "chief_officer_governance",
    ]
    assert answer["context"]["rule"] == "impose_marker.telephone_schedule: ccsm and above"
    assert "team_leader may not" in answer["context"]["reason"]


async def test_under_wrexham_the_service_manager_or_complaints_lead_may(clean_db: str) -> None:
    async with serve(clean_db, policy_profile="wrexham") as service:
        response = await service.client.post(
            SINGLE,
            json={
                "subject": _roles("line_manager"),
                "action": {"name": "impose_marker"},
                "resource": _kind("telephone_schedule"),
            },
        )
    answer = response.json()
    assert answer["decision"] is False
    assert answer["context"]["allowed_roles"] == [
        "chief_officer_governance_customer",
        "complaints_lead",
        "service_manager",
    ]


async def test_without_a_subject_it_answers_for_the_callers_own_token(service: Service) -> None:
    headers = service.bearer("team_leader")
    asked = {"action": {"name": "impose_marker"}}
    async with httpx.AsyncClient(base_url=service.base_url, headers=headers) as client:
        suspension = await client.post(
            SINGLE, json={**asked, "resource": _kind("telephone_suspension")}
        )
        formal = await client.post(SINGLE, json={**asked, "resource": _kind("channel_limit")})
        both = await client.post(
            BATCH,
            json={
                "action": {"name": "lift_marker"},
                "evaluations": [
                    {"resource": _kind("telephone_suspension")},
                    {"resource": _kind("channel_limit"), "subject": _roles("ccsm")},
                ],
            },
        )
    assert suspension.json()["decision"] is True
    assert suspension.json()["context"]["roles"] == ["team_leader"]
    assert suspension.json()["context"]["roles_from"] == "token"
    assert formal.json()["decision"] is False
    first, second = both.json()["evaluations"]
    assert (first["decision"], first["context"]["roles_from"]) == (True, "token")
    assert (second["decision"], second["context"]["roles_from"]) == (True, "request")


async def test_a_batch_keeps_its_order_and_an_evaluation_replaces_a_default_whole(
    service: Service,
) -> None:
    asked = [
        ("employee", "telephone_suspension"),
        ("ccsm", "channel_limit"),
        ("team_leader", "channel_limit"),
        ("team_leader", "telephone_suspension"),
        ("employee", "read_and_file"),
    ]
    response = await service.client.post(
        BATCH,
        json={
            "subject": _roles("ccsm"),
            "action": {"name": "vary_marker"},
            "resource": _kind("behaviour_contract"),
            "evaluations": [
                {"subject": _roles(role), "resource": _kind(kind)} for role, kind in asked
            ]
            # The defaults alone: a ccsm varying a behaviour contract.
            + [{}],
        },
    )
    assert response.status_code == 200, response.text
    answers = response.json()["evaluations"]
    assert [a["decision"] for a in answers] == [False, True, False, True, False, True]
    assert [(a["context"]["roles"], a["context"]["kind"]) for a in answers] == [
        *(([role], kind) for role, kind in asked),
        (["ccsm"], "behaviour_contract"),
    ]


@pytest.mark.parametrize(
    ("semantic", "decisions"),
    [
        ("execute_all", [True, False, True]),
        ("deny_on_first_deny", [True, False]),
        ("permit_on_first_permit", [True]),
    ],
)
async def test_a_batch_may_stop_at_the_first_denial_or_permit(
    service: Service, semantic: str, decisions: list[bool]
) -> None:
    response = await service.client.post(
        BATCH,
        json={
            "subject": _roles("employee"),
            "options": {"evaluations_semantic": semantic},
            "evaluations": [
                {"action": {"name": "check_contact"}},
                {"action": {"name": "impose_marker"}},
                {"action": {"name": "record_contact"}},
            ],
        },
    )
    assert [a["decision"] for a in response.json()["evaluations"]] == decisions


async def test_a_batch_is_bounded(service: Service) -> None:
    one = {"action": {"name": "check_contact"}}
    full = await service.client.post(BATCH, json={"evaluations": [one] * LIMIT})
    assert full.status_code == 200
    assert len(full.json()["evaluations"]) == LIMIT
    over = await service.client.post(BATCH, json={"evaluations": [one] * (LIMIT + 1)})
    _assert_422(over, "body.evaluations")
    _assert_422(await service.client.post(BATCH, json={"evaluations": []}), "body.evaluations")


def _assert_422(response: httpx.Response, name: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == TYPE_BASE + "validation-error"
    assert [p["name"] for p in problem["invalid_params"]] == [name], problem


@pytest.mark.parametrize(
    ("path", "body", "name"),
    [
        (SINGLE, {"action": {"name": "delete_customer"}}, "body.action.name"),
        (
            SINGLE,
            {"action": {"name": "impose_marker"}, "resource": _kind("telephone_call_ban")},
            "body.resource.properties.kind",
        ),
        (SINGLE, {}, "body.action"),
        (
            BATCH,
            {"evaluations": [{"action": {"name": "read_marker"}}, {"action": {"name": "x"}}]},
            "body.evaluations.1.action.name",
        ),
        # No action in the evaluation and none by default.
        (
            BATCH,
            {"evaluations": [{"action": {"name": "read_marker"}}, {"subject": _roles("ccsm")}]},
            "body.evaluations.1.action",
        ),
    ],
)
async def test_an_unknown_action_or_kind_is_a_problem_naming_the_field(
    service: Service, path: str, body: dict[str, Any], name: str
) -> None:
    _assert_422(await service.client.post(path, json=body), name)


async def test_a_misspelt_member_is_refused_rather_than_left_out(service: Service) -> None:
    """Left out, `role` would leave no roles to evaluate, and another question answered."""
    response = await service.client.post(
        SINGLE,
        json={"subject": {"properties": {"role": ["ccsm"]}}, "action": {"name": "read_marker"}},
    )
    assert response.status_code == 422, response.text
    assert {p["name"] for p in response.json()["invalid_params"]} == {
        "body.subject.properties.roles",
        "body.subject.properties.role",
    }


async def test_a_kind_the_profile_does_not_provide_is_refused_with_the_reason(
    service: Service,
) -> None:
    response = await service.client.post(
        SINGLE,
        json={
            "subject": _roles("chief_officer_governance"),
            "action": {"name": "impose_marker"},
            "resource": _kind("contact_quota"),
        },
    )
    answer = response.json()
    assert answer["decision"] is False
    assert answer["context"]["allowed_roles"] == []
    assert (
        "not a restriction the Flintshire County Council policy provides"
        in (answer["context"]["reason"])
    )


async def test_who_may_ask(service: Service) -> None:
    body = {"subject": _roles("ccsm"), "action": {"name": "read_marker"}}
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        for path in (SINGLE, BATCH):
            anonymous = await client.post(path, json=body)
            assert anonymous.status_code == 401
            assert anonymous.headers["www-authenticate"].startswith("Bearer")
        for role in ("employee", "auditor", "admin"):
            asked = await client.post(SINGLE, json=body, headers=service.bearer(role))
            assert asked.status_code == 200, (role, asked.text)
            assert asked.json()["decision"] is True
        for role in ("reader", "contact_recorder"):
            refused = await client.post(SINGLE, json=body, headers=service.bearer(role))
            assert refused.status_code == 403, role
            assert refused.json()["action"] == "evaluate_access"
        nobody = await client.post(SINGLE, json=body, headers=service.bearer())
        assert nobody.status_code == 403
