"""`decide`: who is asking and whether they may, the one decision every route and the fast
layer make; and the problems its refusals become."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI

from app import problems
from app.auth import (
    ANONYMOUS,
    Action,
    ActionContext,
    NotAuthenticated,
    NotPermitted,
    authorise,
    decide,
)
from app.web import problem_handlers

AUTHORIZATIONS = [
    None,
    "",
    "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    "Basic Zm9vOmJhcg==",
    "x" * 5000,
]


@pytest.mark.parametrize("authorization", AUTHORIZATIONS)
@pytest.mark.parametrize("action", list(Action))
def test_until_identity_arrives_everyone_is_admitted_anonymously(
    action: Action, authorization: str | None
) -> None:
    context = decide(action, authorization)
    assert context.action is action
    assert context.principal == ANONYMOUS
    assert context.actor == "anonymous"
    assert context.acting_as("S123").actor == "S123"
    # The shared context is not changed by acting as someone.
    assert decide(action, authorization).actor == "anonymous"


def _app() -> FastAPI:
    app = FastAPI()
    problem_handlers.install(app)

    @app.get("/read")
    async def read(context: ActionContext = Depends(authorise(Action.READ_RESTRICTIONS))) -> str:
        return f"{context.action}:{context.actor}"

    @app.get("/unauthenticated")
    async def unauthenticated() -> None:
        raise NotAuthenticated()

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise NotPermitted(Action.LIFT_MARKER)

    return app


async def test_the_dependency_gives_the_decision_and_refusals_are_problems() -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app()), base_url="http://t"
    ) as client:
        read = await client.get("/read", headers={"authorization": "Bearer anything"})
        assert read.json() == "read_restrictions:anonymous"

        refused = await client.get("/unauthenticated")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == problems.PROBLEM_JSON
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["type"] == problems.TYPE_BASE + "not-authenticated"

        forbidden = await client.get("/forbidden")
        assert forbidden.status_code == 403
        assert forbidden.headers["content-type"] == problems.PROBLEM_JSON
        assert forbidden.json()["type"] == problems.TYPE_BASE + "not-permitted"
        assert forbidden.json()["detail"] == "Your roles do not permit lift_marker."
