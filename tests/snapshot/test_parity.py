"""The fast layer and the FastAPI routes give the same answer, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.web.http_edges import SafeHeaders
from tests.conftest import Service
from tests.factories import marker, past

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


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ref=st.sampled_from(REFS),
    read=st.sampled_from(["restrictions", "contact-check", "contact-check/flat"]),
    query=params,
    conditional=st.sampled_from([None, "*", 'W/"nope"', "match", "*," + "x" * 1000]),
)
async def test_fast_layer_and_routes_answer_alike(
    seeded: Service, ref: str, read: str, query: list[tuple[str, str]], conditional: str | None
) -> None:
    url = _url(ref, read, query)
    headers = {}
    if conditional == "match":
        first = await seeded.client.get(_url(ref, "restrictions", []))
        headers["if-none-match"] = first.headers.get("etag", "")
    elif conditional is not None:
        headers["if-none-match"] = conditional
    served = seeded.app.state.asgi_served
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://t") as fast,
        # The routes with the common headers every served answer gets (app/http_edges.py).
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=SafeHeaders(seeded.app)), base_url="http://t"
        ) as routes,
    ):
        a = await fast.get(url, headers=headers)
        b = await routes.get(url, headers=headers)
    assert a.status_code == b.status_code, url
    for name in HEADERS:
        assert a.headers.get(name) == b.headers.get(name), (url, name)
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
            transport=httpx.ASGITransport(app=seeded.app.state.asgi_served), base_url="http://t"
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
