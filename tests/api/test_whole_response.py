"""The one-write answer (app/web/whole_response.py): the hot reads' answers sent whole by the
server, as HTTP/1.1 expects of any answer — in order when requests are pipelined, without a
body for HEAD, closing the connection when asked — and with the same headers and body the
ordinary two-send answer has. Over raw sockets against the app as served."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from app.reads.fastpath import WHOLE_RESPONSE, FastReads
from app.web import whole_response
from app.web.http_edges import UVICORN_OPTIONS
from tests.api.test_http_edges import Raw, _auth, raw
from tests.conftest import Service
from tests.factories import marker
from tests.servers import running

CHECK = b"/customers/C1/contact-check?channel=phone"
CRM = b"/customers/C1/restrictions"


def _get(path: bytes, *extra: bytes, method: bytes = b"GET", version: bytes = b"1.1") -> bytes:
    return (
        method
        + b" "
        + path
        + b" HTTP/"
        + version
        + b"\r\nhost: test\r\nx-request-id: fixed-1\r\n"
        + _auth()
        + b"".join(extra)
        + b"\r\n"
    )


def _fast_layer(service: Service) -> FastReads:
    layer: Any = service.app.state.asgi_served
    while not isinstance(layer, FastReads):
        layer = layer.app
    return layer


async def _restricted(service: Service) -> None:
    created = await service.client.post("/customers/C1/markers", json=marker("channel_limit"))
    assert created.status_code == 201, created.text


async def test_the_one_write_answer_has_the_two_send_answers_headers_and_body(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _restricted(service)
    fast = _fast_layer(service)
    sent_whole: list[int] = []
    send_whole = whole_response.send_whole

    def counted(cycle: Any, status: int, head: bytes, body: bytes) -> bool:
        sent = send_whole(cycle, status, head, body)
        sent_whole.append(status)
        return sent

    monkeypatch.setattr("app.web.whole_response.send_whole", counted)
    answers = {}
    for whole in (True, False):
        fast._whole = whole
        for path in (CHECK, CRM, CHECK + b"&format=flat"):
            connection = await raw(service)
            await connection.send(_get(path))
            status, headers, body = await connection.response()
            headers.pop("date")
            answers[whole, path] = (status, headers, body)
    assert sent_whole == [200, 200, 200]  # the one-write answers, then the two-send ones
    for path in (CHECK, CRM, CHECK + b"&format=flat"):
        assert answers[True, path] == answers[False, path], path
        assert answers[True, path][0] == 200
        assert answers[True, path][1]["x-request-id"] == "fixed-1"


async def test_pipelined_reads_are_answered_in_order_head_without_a_body(
    service: Service,
) -> None:
    await _restricted(service)
    connection = await raw(service)
    # Three requests in one packet: the server must answer each whole, in order, and only
    # then read the next; the last asks for the connection to be closed after it.
    await connection.send(
        _get(CRM)
        + _get(CRM, method=b"HEAD")
        + _get(CHECK + b"&format=flat", b"connection: close\r\n")
    )
    status, crm_headers, crm_body = await connection.response()
    assert status == 200 and crm_body.startswith(b'{"customer_ref":"C1"')
    # HEAD: the GET's headers, its length included, and no body (the next bytes are the
    # third answer's status line, read as such below).
    status, head_headers, _ = await _head_response(connection)
    assert status == 200
    assert head_headers["content-length"] == crm_headers["content-length"]
    assert head_headers["etag"] == crm_headers["etag"]
    status, headers, body = await connection.response()
    assert status == 200 and headers["connection"] == "close"
    assert body.startswith(b'{"customer_ref":"C1"') and b'"outcome":"' in body
    assert await connection.closed()


async def _head_response(connection: Raw) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(connection.reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:] if line)
    }
    return int(lines[0].split()[1]), headers, b""


async def test_an_http_1_0_read_is_answered_and_the_connection_closed(service: Service) -> None:
    connection = await raw(service)
    await connection.send(_get(CHECK, version=b"1.0"))
    status, headers, body = await connection.response()
    assert status == 200 and headers["connection"] == "close"
    assert b'"outcome":"allow"' in body
    assert await connection.closed()


async def test_a_revalidated_read_is_304_without_a_body_then_the_connection_goes_on(
    service: Service,
) -> None:
    await _restricted(service)
    connection = await raw(service)
    await connection.send(_get(CRM))
    _, headers, _ = await connection.response()
    etag = headers["etag"].encode()
    await connection.send(_get(CRM, b"if-none-match: " + etag + b"\r\n") + _get(CHECK))
    status, revalidated, body = await connection.response()
    assert status == 304 and body == b"" and "content-length" not in revalidated
    assert revalidated["etag"] == headers["etag"]
    status, _, body = await connection.response()
    assert status == 200 and b'"outcome"' in body


# --- The extension itself, offered to any app served with the service's options ------------


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    offered = scope.get("extensions", {}).get(WHOLE_RESPONSE)
    body = b"offered" if offered else b"plain"
    if offered is None or not offered["send"](200, b"content-type: text/plain\r\n", body):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def bare() -> AsyncIterator[int]:
    config = uvicorn.Config(
        _app,
        host="127.0.0.1",
        port=0,
        log_config=None,
        loop="none",
        access_log=False,
        **UVICORN_OPTIONS,
    )
    async with running(config) as port:
        yield port


async def test_the_service_protocol_offers_every_request_the_one_write_answer(bare: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", bare)
    connection = Raw(reader, writer)
    request = b"GET / HTTP/1.1\r\nhost: test\r\n\r\n"
    await connection.send(request * 3)
    for _ in range(3):
        status, headers, body = await connection.response()
        assert (status, body) == (200, b"offered")
        assert headers["content-type"] == "text/plain"
        assert headers["content-length"] == "7"
        assert "date" in headers
    writer.close()
