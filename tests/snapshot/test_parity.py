"""The fast layer and the FastAPI routes give the same answer, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp

from tests.conftest import Service, full_access
from tests.factories import marker, past
from tests.issuer import ALL_ROLES

REFS = [
    "C1",
    "C2",
    "C3",
    "NOBODY",
    "a b",
    "x" * 64,
    "x" * 65,
    "é€",
    "",
    "C1%2F2",
    "C1\n",
    "x" * 64 + "\n",
]
CHANNELS = ["phone", "email", "letter", "in_person", "online", "social_media", "fax", ""]
ATS = [
    "2026-11-24T11:00:00+00:00",
    "2026-11-24T12:00:00Z",
    "2026-07-07T10:30:00.5+01:00",
    "2026-11-24T11:00:00",
    "tomorrow",
    "9999-12-31T23:59:59-23:59",
    "1969-01-01T00:00:00+00:00",
    "2026-11-24 11:00:00+00:00",
    "2026-11-24T11:00+00:00",
]
VALUES = {
    "channel": st.sampled_from(CHANNELS),
    "at": st.sampled_from(ATS),
    "direction": st.sampled_from(["inbound", "outbound", "sideways"]),
    "service": st.sampled_from(["Housing", "housing", "Council Tax", ""]),
    "format": st.sampled_from(["json", "flat", "xml"]),
    "include": st.sampled_from(["current", "all", "some"]),
    "chanel": st.just("phone"),
}
HEADERS = ("content-type", "etag", "cache-control", "content-length")
# Mostly a token that may read (the answers are compared then); and the two paths must also
# agree on refusals: a token that may not read, an expired one, none, junk, a scheme other
# than Bearer, an empty value, a long one, and the header given twice.
TOKENS = {
    "full": lambda issuer: issuer.token(*ALL_ROLES),
    "reader": lambda issuer: issuer.token("reader"),
    "no roles": lambda issuer: issuer.token(),
    "expired": lambda issuer: issuer.token("reader", lifetime=-10),
}
AUTHORIZATIONS = [
    "full",
    "full",
    "full",
    "reader",
    "no roles",
    "expired",
    None,
    "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    "bearer x",
    "Basic Zm9vOmJhcg==",
    "",
    "Bearer " + "x" * 3000,
    "twice",
]

params = st.lists(
    st.sampled_from(sorted(VALUES)).flatmap(lambda name: VALUES[name].map(lambda v: (name, v))),
    max_size=5,
)


async def _seed(service: Service) -> None:
    service.clock.fixed = datetime(2026, 11, 23, 8, tzinfo=UTC)
    for ref, body in [
        ("C1", marker("telephone_schedule", starts_at=past(400))),
        ("C1", marker("single_point_of_contact")),
        ("C2", marker("channel_limit", services=["Housing"])),
        ("C2", marker("read_and_file")),
        ("C3", marker("telephone_suspension", ends_at="2026-11-24T09:00:00+00:00")),
    ]:
        assert (
            await service.client.post(f"/customers/{ref}/markers", json=body)
        ).status_code == 201
    await service.client.put("/customers/C3", json={"preferred_language": "cy"})


def _url(ref: str, read: str, query: list[tuple[str, str]]) -> str:
    text = "&".join(f"{quote(k)}={quote(v, safe=':')}" for k, v in query)
    return f"/customers/{quote(ref, safe='%' if '%' in ref else '')}/{read}" + (
        f"?{text}" if text else ""
    )


def _behind_fast_layer(served: ASGIApp) -> ASGIApp:
    from app.reads.fastpath import FastReads

    layer: Any = served
    while not isinstance(layer, FastReads):
        layer = layer.app
    rest: ASGIApp = layer.app
    return rest


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ref=st.sampled_from(REFS),
    read=st.sampled_from(["restrictions", "contact-check", "contact-check/flat"]),
    query=params,
    conditional=st.sampled_from([None, "*", 'W/"nope"', "match", "*," + "x" * 1000]),
    authorization=st.sampled_from(AUTHORIZATIONS),
)
async def test_fast_layer_and_routes_answer_alike(
    seeded: Service,
    ref: str,
    read: str,
    query: list[tuple[str, str]],
    conditional: str | None,
    authorization: str | None,
) -> None:
    headers = await _headers(seeded, ref, conditional, authorization)
    await _answer_alike(seeded, _url(ref, read, query), headers)


PLAIN_READS = [
    "/customers/C1/restrictions",
    "/customers/C1/contact-check?channel=phone",
    "/customers/C2/contact-check?channel=email&format=flat",
    "/customers/C1/contact-check/flat?channel=phone&direction=outbound",
]


async def test_both_paths_decide_alike_whatever_the_authorization(seeded: Service) -> None:
    """Every Authorization form on the reads the fast layer answers itself, so that a
    decision only one path makes cannot hide among the sampled requests above."""
    for authorization in AUTHORIZATIONS:
        for url in PLAIN_READS:
            headers = await _headers(seeded, "C1", None, authorization)
            await _answer_alike(seeded, url, headers)


async def _headers(
    seeded: Service, ref: str, conditional: str | None, authorization: str | None
) -> list[tuple[str, str]]:
    # A fixed request id, so that every header of the two answers can be compared.
    headers = [("x-request-id", "parity")]
    if conditional == "match":
        first = await seeded.client.get(_url(ref, "restrictions", []))
        headers.append(("if-none-match", first.headers.get("etag", "")))
    elif conditional is not None:
        headers.append(("if-none-match", conditional))
    if authorization in TOKENS:
        headers.append(("authorization", "Bearer " + TOKENS[authorization](seeded.issuer)))
    elif authorization == "twice":
        headers += [("authorization", "Bearer one"), ("authorization", "Bearer two")]
    elif authorization is not None:
        headers.append(("authorization", authorization))
    return headers


async def _answer_alike(seeded: Service, url: str, headers: list[tuple[str, str]]) -> None:
    served = seeded.app.state.asgi_served
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://t") as fast,
        # What the served app does when the fast layer leaves a request to the routes: the
        # common headers (app/web/http_edges.py), the request id, then FastAPI.
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=_behind_fast_layer(served)), base_url="http://t"
        ) as routes,
    ):
        a = await fast.get(url, headers=headers)
        b = await routes.get(url, headers=headers)
    assert a.status_code == b.status_code, url
    for name in HEADERS:
        assert a.headers.get(name) == b.headers.get(name), (url, name)
    # Every header, each as often as given; their order is not part of the answer.
    assert sorted(a.headers.multi_items()) == sorted(b.headers.multi_items()), url
    assert a.content == b.content, url


async def test_the_fast_layer_really_answers_plain_reads(seeded: Service) -> None:
    """Guards the parity test against passing because everything falls through."""
    from app.reads.fastpath import FastReads

    calls = 0
    layer = seeded.app.state.asgi_served
    while not isinstance(layer, FastReads):
        layer = layer.app
    inner = layer.app

    async def counting(scope, receive, send):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        await inner(scope, receive, send)

    layer.app = counting
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=seeded.app.state.asgi_served),
            base_url="http://t",
            headers=full_access(),
        ) as client:
            assert (await client.get("/customers/C1/restrictions")).status_code == 200
            assert (
                await client.get("/customers/C1/contact-check?channel=phone&format=flat")
            ).status_code == 200
            assert (
                await client.get("/customers/C1/contact-check/flat?channel=phone")
            ).status_code == 200
            assert calls == 0
            assert (await client.get("/customers/C1/restrictions?include=all")).status_code == 200
            assert calls == 1
    finally:
        layer.app = inner
