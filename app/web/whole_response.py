"""A server extension for answers known whole in advance: status, headers and body sent as
one write.

Through plain ASGI an answer costs two `send` calls, uvicorn re-validates every header with
two regular expressions, and the socket gets two writes. The fast reads (app/reads/fastpath.py)
know their whole answer at once and build their headers from constants and validated values,
so the protocol (app/web/http_edges.py) offers them this instead, in `scope["extensions"]`
(the ASGI way to offer more than the spec). An app that does not use it, or a server that
does not offer it (the tests' in-process clients), gets ordinary ASGI: the fast layer falls
back to its two sends.

It does what uvicorn's `RequestResponseCycle.send` does for a whole answer with a
content-length: the access log line if on, the date header, `connection: close` when the
connection will not be kept, no body for HEAD, the completion callbacks; and it declines
(returns False) whenever that `send` would do more: a paused transport (send waits for it to
drain), an answer already started."""

from __future__ import annotations

from functools import partial
from typing import Any
from weakref import ref

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from app.reads.fastpath import WHOLE_RESPONSE

# uvicorn replaces its default headers (the date) with a new list every second: their bytes
# are kept for as long as the list is the same.
_default: tuple[object, bytes] = (None, b"")


def _default_headers(headers: list[tuple[bytes, bytes]]) -> bytes:
    global _default
    kept, text = _default
    if kept is not headers:
        text = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        _default = (headers, text)
    return text


def send_whole(cycle: RequestResponseCycle, status: int, head: bytes, body: bytes) -> bool:
    """Send the whole answer in one write, or return False (nothing sent) for the caller to
    send it the ASGI way. `head` is the answer's own header lines, each ending in CRLF,
    without content-length (added here)."""
    if cycle.response_started:
        return False
    if cycle.disconnected:
        return True  # as uvicorn's send: nothing to write to, nothing more to do
    if cycle.flow.write_paused:
        return False
    cycle.response_started = True
    cycle.waiting_for_100_continue = False
    if cycle.access_log:  # as uvicorn's send logs it (`crs serve` turns it off)
        scope = cycle.scope
        cycle.access_logger.info(
            '%s - "%s %s HTTP/%s" %d',
            get_client_addr(scope),
            scope["method"],
            get_path_with_query_string(scope),
            scope["http_version"],
            status,
        )
    parts = [STATUS_LINE[status], _default_headers(cycle.default_headers), head]
    if not cycle.keep_alive:
        parts.append(b"connection: close\r\n")
    if status == 304:
        parts.append(b"\r\n")
    else:
        parts.append(b"content-length: %d\r\n\r\n" % len(body))
        if cycle.scope["method"] != "HEAD":
            parts.append(body)
    cycle.transport.write(b"".join(parts))
    cycle.response_complete = True
    cycle.message_event.set()
    if not cycle.keep_alive:
        cycle.transport.close()
    cycle.on_response()
    return True


def _send_whole_to(
    cycle_ref: ref[RequestResponseCycle], status: int, head: bytes, body: bytes
) -> bool:
    cycle = cycle_ref()
    return cycle is not None and send_whole(cycle, status, head, body)


def offer(scope: dict[str, Any], cycle: RequestResponseCycle) -> None:
    """Offer the extension to the app for this request's cycle. The cycle holds the scope,
    so the scope holds the cycle weakly: a strong reference back would make every request
    a reference cycle, garbage only the cyclic collector frees (in pauses of milliseconds)."""
    scope["extensions"] = {WHOLE_RESPONSE: {"send": partial(_send_whole_to, ref(cycle))}}
