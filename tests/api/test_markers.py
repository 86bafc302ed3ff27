"""Recording markers: impose, vary, lift, history, and the errors a caller can meet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.time.clock import utcnow
from tests.conftest import Service
from tests.factories import marker, past
from tests.issuer import DEFAULT_SUBJECT

KINDS_FLINTSHIRE = [
    "telephone_suspension",
    "channel_limit",
    "telephone_schedule",
    "single_point_of_contact",
    "behaviour_contract",
    "read_and_file",
    "social_media_block",
]


@pytest.mark.parametrize("kind", KINDS_FLINTSHIRE)
async def test_every_kind_can_be_imposed_and_read_back_in_force(
    service: Service, kind: str
) -> None:
    created = await service.client.post("/customers/C1/markers", json=marker(kind))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == kind
    assert body["status"] == "active"
    assert body["version"] == 1
    assert body["summary"].endswith(".")

    read = await service.client.get("/customers/C1/restrictions")
    assert read.status_code == 200
    assert [m["id"] for m in read.json()["markers"]] == [body["id"]]
    assert read.json()["restricted"] is True


async def test_flintshire_suspension_lasts_one_day_by_default(service: Service) -> None:
    body = (
        await service.client.post("/customers/C1/markers", json=marker("telephone_suspension"))
    ).json()
    starts, ends = (
        datetime.fromisoformat(body["starts_at"]),
        datetime.fromisoformat(body["ends_at"]),
    )
    assert ends - starts == timedelta(hours=24)


async def test_formal_restriction_needs_a_review_within_six_months(service: Service) -> None:
    too_late = (date.today() + timedelta(days=200)).isoformat()
    response = await service.client.post(
        "/customers/C1/markers", json=marker("channel_limit", review_due=too_late)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("policy-violation")
    assert problem["invalid_params"][0]["name"] == "body.review_due"


async def test_an_omitted_review_date_is_the_latest_the_policy_allows(service: Service) -> None:
    """So a request written today still works in a year (README examples)."""
    for i, (decided, expected) in enumerate(
        [
            (datetime(2026, 8, 31, 23, 30, tzinfo=UTC), "2027-03-01"),  # 00:30 BST, 1 September
            (datetime(2026, 12, 31, 12, tzinfo=UTC), "2027-06-30"),
            (datetime(2027, 8, 31, 9, tzinfo=UTC), "2028-02-29"),
        ]
    ):
        service.clock.fixed = decided
        missing = marker("channel_limit")
        del missing["review_due"]
        response = await service.client.post(f"/customers/C{i}/markers", json=missing)
        assert response.status_code == 201, response.text
        assert response.json()["review_due"] == expected
    service.clock.fixed = None
    suspension = await service.client.post(
        "/customers/C9/markers", json=marker("telephone_suspension")
    )
    assert suspension.json()["review_due"] is None


async def test_a_flintshire_suspension_that_would_have_ended_names_starts_at(
    service: Service,
) -> None:
    """The finding: "body.ends_at: is already past", though no ends_at was sent."""
    response = await service.client.post(
        "/customers/C1/markers",
        json=marker("telephone_suspension", starts_at=past(days=2)),
    )
    assert response.status_code == 422
    params = response.json()["invalid_params"]
    assert [p["name"] for p in params] == ["body.starts_at"]
    assert "24 hours" in params[0]["reason"]
    # Within the day it is still in force, and is imposed.
    recent = (utcnow() - timedelta(hours=23)).replace(microsecond=0).isoformat()
    response = await service.client.post(
        "/customers/C1/markers", json=marker("telephone_suspension", starts_at=recent)
    )
    assert response.status_code == 201, response.text


async def test_a_contact_in_the_future_is_a_validation_error(service: Service) -> None:
    future = (utcnow() + timedelta(hours=1)).replace(microsecond=0).isoformat()
    response = await service.client.post(
        "/customers/C1/contacts",
        json={"channel": "phone", "occurred_at": future},
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith(":validation-error")
    assert [p["name"] for p in problem["invalid_params"]] == ["body.occurred_at"]


async def test_contact_quota_is_not_a_flintshire_restriction(service: Service) -> None:
    response = await service.client.post("/customers/C1/markers", json=marker("contact_quota"))
    assert response.status_code == 422
    assert "not a restriction the Flintshire" in response.json()["detail"]


async def test_invalid_details_name_the_failing_field(service: Service) -> None:
    response = await service.client.post(
        "/customers/C1/markers", json=marker("channel_limit", details={"channels": ["fax"]})
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("validation-error")
    assert any("channels" in p["name"] for p in problem["invalid_params"])


async def test_variation_keeps_the_previous_version_in_history(service: Service) -> None:
    created = (
        await service.client.post("/customers/C1/markers", json=marker("channel_limit"))
    ).json()
    varied = await service.client.post(
        f"/markers/{created['id']}/variations",
        json={
            "details": {"channels": ["letter"]},
            "reason": "Emails continued to be abusive.",
            "expected_version": 1,
        },
    )
    assert varied.status_code == 200, varied.text
    assert varied.json()["version"] == 2
    assert varied.json()["details"] == {"channels": ["letter"]}

    history = (await service.client.get(f"/markers/{created['id']}")).json()["history"]
    assert [h["action"] for h in history] == ["imposed", "varied"]
    assert history[0]["state"]["details"] == {"channels": ["email", "letter"]}
    assert history[1]["note"] == "Emails continued to be abusive."


def _post(n: int) -> dict[str, str]:
    return {"url": f"https://example.com/p/{n}", "description": f"Post {n}."}


async def test_a_social_media_variation_keeps_the_retained_posts(service: Service) -> None:
    # Evidence kept (Appendix 2): a variation adds posts; the ones retained stay.
    imposed = marker("social_media_block")
    imposed["details"] = {**imposed["details"], "posts": [_post(1), _post(2)]}
    created = (await service.client.post("/customers/C1/markers", json=imposed)).json()
    varied = await service.client.post(
        f"/markers/{created['id']}/variations",
        json={
            "details": {"platform": "Facebook", "account": "@renamed", "posts": [_post(3)]},
            "reason": "The account was renamed and posted again.",
        },
    )
    assert varied.status_code == 200, varied.text
    details = varied.json()["details"]
    assert details["account"] == "@renamed"
    assert [p["url"] for p in details["posts"]] == [_post(n)["url"] for n in (1, 2, 3)]
    # Over the 50 a block may keep, together: refused as an imposition with as many would be.
    too_many = {
        "platform": "Facebook",
        "account": "@renamed",
        "posts": [_post(n) for n in range(10, 59)],
    }
    refused = await service.client.post(
        f"/markers/{created['id']}/variations", json={"details": too_many, "reason": "r"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["invalid_params"][0]["name"].startswith("body.details.posts")


async def test_varying_an_old_version_is_a_conflict(service: Service) -> None:
    created = (
        await service.client.post("/customers/C1/markers", json=marker("channel_limit"))
    ).json()
    vary = {
        "reason": "r",
        "expected_version": 1,
        "details": {"channels": ["letter"]},
    }
    assert (
        await service.client.post(f"/markers/{created['id']}/variations", json=vary)
    ).status_code == 200
    again = await service.client.post(f"/markers/{created['id']}/variations", json=vary)
    assert again.status_code == 409
    assert again.json()["type"].endswith("conflict")


async def test_lifting_keeps_the_marker_with_who_and_why(service: Service) -> None:
    created = (
        await service.client.post("/customers/C1/markers", json=marker("telephone_suspension"))
    ).json()
    lifted = await service.client.post(
        f"/markers/{created['id']}/lift", json={"reason": "Apology accepted."}
    )
    assert lifted.status_code == 200
    assert lifted.json()["status"] == "lifted"
    assert lifted.json()["lifted_by"] == DEFAULT_SUBJECT

    current = (await service.client.get("/customers/C1/restrictions")).json()
    assert current["markers"] == [] and current["restricted"] is False
    everything = (await service.client.get("/customers/C1/restrictions?include=all")).json()
    assert [m["status"] for m in everything["markers"]] == ["lifted"]

    twice = await service.client.post(f"/markers/{created['id']}/lift", json={"reason": "again"})
    assert twice.status_code == 409
    vary = await service.client.post(f"/markers/{created['id']}/variations", json={"reason": "r"})
    assert vary.status_code == 409


async def test_unknown_marker_is_a_problem_not_an_error(service: Service) -> None:
    response = await service.client.get("/markers/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    bad_id = await service.client.get("/markers/not-a-uuid")
    assert bad_id.status_code == 422


async def test_malformed_and_oversized_bodies_get_problems(service: Service) -> None:
    broken = await service.client.post(
        "/customers/C1/markers", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400  # as documented: the body is not JSON
    assert broken.headers["content-type"] == "application/problem+json"
    huge = await service.client.post(
        "/customers/C1/markers",
        content=b"x" * 2_000_000,
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.json()["type"].endswith("payload-too-large")


async def test_preferred_language_is_returned_by_both_reads(service: Service) -> None:
    put = await service.client.put("/customers/C9", json={"preferred_language": "cy"})
    assert put.status_code == 200
    assert (await service.client.get("/customers/C9/restrictions")).json()[
        "preferred_language"
    ] == "cy"
    check = (await service.client.get("/customers/C9/contact-check?channel=phone")).json()
    assert check["preferred_language"] == "cy"
