"""The HTTP edges an integrator or a browser meets before any route: body size and time
limits, no Host-built redirects, HEAD, CORS, headers every answer carries, and malformed
HTTP. All over real HTTP against the app as served; raw sockets where a client library
would not send what is tested (chunked bodies, bodies that stop, broken request lines)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Service, full_access, serve
from tests.factories import marker

PROBLEM = "application/problem+json"
PERSONAL = "private, no-store"
CRM = "https://crm.example.gov.uk"


class Raw:
    """One TCP connection to the served app, for requests written byte by byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, within: float = 10.0) -> tuple[int, dict[str, str], bytes]:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), within)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                assert name.lower() not in headers, f"repeated header {name}"
                headers[name.lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(self.reader.readexactly(length), within)
        return status, headers, body

    async def closed(self, within: float = 5.0) -> bool:
        return await asyncio.wait_for(self.reader.read(1), within) == b""


def _auth() -> bytes:
    return f"authorization: {full_access()['Authorization']}\r\n".encode()


async def raw(service: Service) -> Raw:
    url = urlsplit(service.base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    return Raw(reader, writer)


def assert_problem(status: int, headers: dict[str, str], body: bytes, expected: int) -> None:
    assert status == expected
    assert headers["content-type"] == PROBLEM
    assert json.loads(body)["status"] == expected
    assert headers["x-content-type-options"] == "nosniff"
    assert "server" not in headers


@pytest.fixture
async def slow_bodies(clean_db: str) -> AsyncIterator[Service]:
    async with serve(clean_db, body_read_timeout_seconds=0.5) as running:
        yield running


@pytest.fixture
async def cors(clean_db: str) -> AsyncIterator[Service]:
    async with serve(clean_db, cors_allow_origins=(CRM,)) as running:
        yield running


# --- request bodies ------------------------------------------------------------------------


async def test_a_chunked_body_over_the_limit_is_413_problem(service: Service) -> None:
    conn = await raw(service)
    await conn.send(
        b"POST /contact-checks HTTP/1.1\r\nHost: x\r\n"
        + _auth()
        + b"content-type: application/json\r\n"
        b"transfer-encoding: chunked\r\n\r\n"
    )
    chunk = b"[" + b" " * 65_000 + b"]"
    answered = asyncio.create_task(conn.response())
    # 1 MiB is 17 chunks of this size: keep sending until the server has answered (it
    # closes the connection then, so later writes may fail).
    with contextlib.suppress(ConnectionError):
        for _ in range(40):
            if answered.done():
                break
            await conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await asyncio.sleep(0.01)
    status, headers, body = await answered
    assert_problem(status, headers, body, 413)
    assert json.loads(body)["type"].endswith(":payload-too-large")


async def test_a_chunked_body_under_the_limit_is_read(service: Service) -> None:
    conn = await raw(service)
    payload = json.dumps({"channel": "letter", "customer_refs": ["C1"]}).encode()
    await conn.send(
        b"POST /contact-checks HTTP/1.1\r\nHost: x\r\n"
        + _auth()
        + b"content-type: application/json\r\n"
        b"transfer-encoding: chunked\r\n\r\n"
        + f"{len(payload[:10]):x}\r\n".encode()
        + payload[:10]
        + b"\r\n"
        + f"{len(payload[10:]):x}\r\n".encode()
        + payload[10:]
        + b"\r\n0\r\n\r\n"
    )
    status, _, body = await conn.response()
    assert status == 200, body
    assert json.loads(body)["results"][0]["customer_ref"] == "C1"


async def test_a_declared_length_over_the_limit_is_413_before_the_body(service: Service) -> None:
    conn = await raw(service)
    await conn.send(
        b"POST /customers/C1/markers HTTP/1.1\r\nHost: x\r\n"
        + _auth()
        + b"content-type: application/json\r\n"
        b"content-length: 2000000\r\n\r\n"
    )
    status, headers, body = await conn.response()
    assert_problem(status, headers, body, 413)


async def test_a_body_that_stops_early_gets_408_and_the_connection_is_closed(
    slow_bodies: Service,
) -> None:
    conn = await raw(slow_bodies)
    started = time.monotonic()
    await conn.send(
        b"POST /customers/C1/markers HTTP/1.1\r\nHost: x\r\n"
        + _auth()
        + b"content-type: application/json\r\n"
        b"content-length: 10\r\n\r\n{}"
    )
    status, headers, body = await conn.response(within=10)
    assert time.monotonic() - started < 5
    assert_problem(status, headers, body, 408)
    assert json.loads(body)["type"].endswith(":request-timeout")
    assert headers["connection"] == "close"
    assert await conn.closed()
    # Nothing was recorded from the half body.
    read = await slow_bodies.client.get("/customers/C1/restrictions")
    assert read.json()["markers"] == []


async def test_a_body_sent_in_time_is_not_cut_off(slow_bodies: Service) -> None:
    conn = await raw(slow_bodies)
    payload = json.dumps(marker("telephone_suspension")).encode()
    await conn.send(
        b"POST /customers/C1/markers HTTP/1.1\r\nHost: x\r\n"
        + _auth()
        + b"content-type: application/json\r\n"
        + f"content-length: {len(payload)}\r\n\r\n".encode()
        + payload[:5]
    )
    await asyncio.sleep(0.1)
    await conn.send(payload[5:])
    status, _, body = await conn.response()
    assert status == 201, body


# --- no redirects built from Host -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/customers/X/restrictions/", "/customers/X/contact-check/?channel=phone", "/healthz/"],
)
async def test_a_trailing_slash_is_not_found_never_redirected(service: Service, path: str) -> None:
    response = await service.client.get(path, headers={"host": "evil.example"})
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert "location" not in response.headers


# --- HEAD -----------------------------------------------------------------------------------


# Answers whose size changes from one request to the next (ages, counters).
CHANGING = frozenset({"/readyz", "/metrics"})


async def _compare_head(client: httpx.AsyncClient, path: str) -> None:
    got = await client.get(path)
    head = await client.head(path)
    assert head.status_code == got.status_code == 200, (path, head.status_code)
    assert head.content == b""
    names = ["content-type", "etag", "cache-control"]
    if path not in CHANGING:
        names.append("content-length")
    for name in names:
        assert head.headers.get(name) == got.headers.get(name), (path, name)
    assert int(head.headers["content-length"]) > 0, path
    assert head.headers["x-content-type-options"] == "nosniff"


async def test_head_answers_every_get_route_as_get_without_the_body(service: Service) -> None:
    client = service.client
    created = (await client.post("/customers/C1/markers", json=marker("channel_limit"))).json()
    for path in (
        "/healthz",
        "/readyz",
        "/customers/C1/restrictions",  # the fast layer
        "/customers/C1/restrictions?include=all",  # the route
        "/customers/C1/contact-check?channel=phone",
        "/customers/C1/contact-check?channel=phone&format=flat",
        "/customers/C1/contact-check?channel=phone&at=2030-01-01T10%3A00%3A00Z",
        f"/markers/{created['id']}",
        "/docs",
        "/openapi.json",
        "/metrics",
    ):
        await _compare_head(client, path)


async def test_head_of_an_unknown_path_is_a_404_without_a_body(service: Service) -> None:
    head = await service.client.head("/nowhere")
    assert head.status_code == 404
    assert head.headers["content-type"] == PROBLEM
    assert head.content == b""


# --- CORS -----------------------------------------------------------------------------------


async def test_without_cors_origins_options_is_405_and_no_cors_headers(service: Service) -> None:
    preflight = await service.client.options(
        "/customers/C1/markers",
        headers={"origin": CRM, "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 405
    assert preflight.headers["content-type"] == PROBLEM
    read = await service.client.get("/customers/C1/restrictions", headers={"origin": CRM})
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers


async def test_cors_for_configured_origins_on_fast_and_routed_answers(cors: Service) -> None:
    client = cors.client
    preflight = await client.options(
        "/customers/C1/markers",
        headers={
            "origin": CRM,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == CRM
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["x-content-type-options"] == "nosniff"
    for path in (
        "/customers/C1/restrictions",  # answered by the fast layer
        "/customers/C1/contact-check?channel=phone",  # the fast layer too
        "/customers/C1/restrictions?include=all",  # the route
        "/nowhere",  # a problem
    ):
        response = await client.get(path, headers={"origin": CRM})
        assert response.headers["access-control-allow-origin"] == CRM, path
        assert "etag" in response.headers["access-control-expose-headers"].lower(), path
    created = await client.post(
        "/customers/C1/markers", json=marker("channel_limit"), headers={"origin": CRM}
    )
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == CRM


async def test_cors_refuses_other_origins_with_a_problem(cors: Service) -> None:
    other = "https://elsewhere.example"
    preflight = await cors.client.options(
        "/customers/C1/markers",
        headers={"origin": other, "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 400
    assert preflight.headers["content-type"] == PROBLEM
    assert "origin" in preflight.json()["detail"]
    read = await cors.client.get("/customers/C1/restrictions", headers={"origin": other})
    assert "access-control-allow-origin" not in read.headers


# --- headers on every answer ----------------------------------------------------------------


async def test_no_server_banner_and_nosniff_on_every_kind_of_answer(service: Service) -> None:
    client = service.client
    created = await client.post("/customers/C1/markers", json=marker("channel_limit"))
    marker_id = created.json()["id"]
    etag = (await client.get("/customers/C1/restrictions")).headers["etag"]
    answers: list[httpx.Response] = [
        created,
        await client.get("/customers/C1/restrictions"),
        await client.get("/customers/C1/restrictions", headers={"if-none-match": etag}),
        await client.get("/customers/C1/contact-check?channel=phone"),
        await client.get(f"/markers/{marker_id}"),
        await client.get("/healthz"),
        await client.get("/docs"),
        await client.get("/customers/C1/contact-check?channel=fax"),  # 422
        await client.post("/customers/C1/markers", content=b"{", headers={"content-type": "x"}),
    ]
    assert answers[2].status_code == 304
    for response in answers:
        assert "server" not in response.headers, response.request.url
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url


async def test_one_caching_policy_on_every_answer_with_personal_data(service: Service) -> None:
    client = service.client
    created = await client.post("/customers/C1/markers", json=marker("single_point_of_contact"))
    marker_id = created.json()["id"]
    varied = await client.post(
        f"/markers/{marker_id}/variations",
        json={
            "reason": "Agreed.",
            "review_due": created.json()["review_due"],
        },
    )
    etag = (await client.get("/customers/C1/restrictions")).headers["etag"]
    answers: dict[str, httpx.Response] = {
        "impose": created,
        "vary": varied,
        "restrictions (fast)": await client.get("/customers/C1/restrictions"),
        "restrictions (304)": await client.get(
            "/customers/C1/restrictions", headers={"if-none-match": etag}
        ),
        "restrictions (route)": await client.get("/customers/C1/restrictions?include=all"),
        "check (fast)": await client.get("/customers/C1/contact-check?channel=phone"),
        "check flat": await client.get("/customers/C1/contact-check?channel=phone&format=flat"),
        "check (route)": await client.get(
            "/customers/C1/contact-check?channel=phone&at=2030-01-01T10%3A00%3A00Z"
        ),
        "marker": await client.get(f"/markers/{marker_id}"),
        "batch": await client.post(
            "/contact-checks", json={"channel": "letter", "customer_refs": ["C1"]}
        ),
        "contact": await client.post("/customers/C1/contacts", json={"channel": "phone"}),
        "preferences": await client.put("/customers/C1", json={"preferred_language": "cy"}),
    }
    for name, response in answers.items():
        assert response.status_code < 400, (name, response.text)
        assert response.headers["cache-control"] == PERSONAL, name
    assert answers["restrictions (304)"].status_code == 304
    assert answers["restrictions (fast)"].headers["etag"]


# --- malformed HTTP -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"GET /he\x01lthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /contact-checks HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        b"POST /contact-checks HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n"
        b"content-length: 7\r\n\r\n{}",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ],
    ids=["request-line", "header", "control-in-path", "chunk-size", "two-lengths", "http2"],
)
async def test_http_the_server_cannot_read_gets_a_400_problem(
    service: Service, request_bytes: bytes
) -> None:
    await _refused_by_the_server(service, request_bytes, 400, "bad-request")


async def _refused_by_the_server(
    service: Service, request_bytes: bytes, expected: int, slug: str
) -> None:
    """A problem from the HTTP layer itself, before the app, then the connection closed."""
    conn = await raw(service)
    await conn.send(request_bytes)
    status, headers, body = await conn.response()
    assert_problem(status, headers, body, expected)
    problem: dict[str, Any] = json.loads(body)
    assert problem["type"].endswith(f":{slug}")
    assert headers["cache-control"] == PERSONAL
    assert await conn.closed()


def _padding(total: int) -> bytes:
    """Headers of about `total` bytes, 1 KiB each."""
    return b"".join(b"x-pad-%d: %s\r\n" % (n, b"a" * 1000) for n in range(total // 1024))


@pytest.mark.parametrize(
    "head",
    [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + _padding(40 * 1024) + b"\r\n",
        b"GET /healthz?" + b"q" * 40_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        # Never finished: refused once the bound is passed, not held until the end.
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + _padding(40 * 1024),
    ],
    ids=["many-headers", "long-url", "unfinished"],
)
async def test_a_head_over_32_kib_is_a_431_problem_and_the_connection_closed(
    service: Service, head: bytes
) -> None:
    await _refused_by_the_server(service, head, 431, "headers-too-large")


@pytest.mark.parametrize(
    "start",
    [b"GET /healthz HTTP/1.1\r\nHost: x\r\nx-a: ", b"GET /healthz HTTP/1.1\r\nHost: x\r\nx-"],
    ids=["endless-value", "endless-name"],
)
async def test_one_header_that_never_ends_is_refused_with_431(
    service: Service, start: bytes
) -> None:
    # httptools reports a header only once it ends: this one never does, sent in pieces.
    # 32 KiB, then 2 KiB more (and nothing after it, so the answer is not lost to a reset).
    conn = await raw(service)
    await conn.send(start)
    await asyncio.sleep(0.01)
    for _ in range(32):
        await conn.send(b"a" * 1024)
        await asyncio.sleep(0.002)
    await conn.send(b"a" * 2048)
    status, headers, body = await conn.response()
    assert_problem(status, headers, body, 431)
    assert await conn.closed()


async def test_a_head_under_the_bound_is_read_as_usual(service: Service) -> None:
    conn = await raw(service)
    padded = b"GET /customers/C1/restrictions HTTP/1.1\r\nHost: x\r\n" + _auth()
    await conn.send(padded + _padding(28 * 1024) + b"\r\n")
    status, _, body = await conn.response()
    assert status == 200 and body.startswith(b'{"customer_ref":"C1"')


async def test_an_upgrade_request_is_answered_by_the_app(service: Service) -> None:
    response = await service.client.get(
        "/nowhere",
        headers={
            "connection": "upgrade",
            "upgrade": "websocket",
            "sec-websocket-version": "13",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
