"""One delivery attempt: resolve the endpoint's host and refuse a non-public address
(SSRF; unless allowed), then POST the signed CloudEvent to the address just checked, so
that a second lookup cannot point elsewhere. Redirects are not followed; only a 2xx is
success."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.domain.events.addresses import Refused, check_resolved, check_url
from app.domain.events.cloudevent import CONTENT_TYPE
from app.domain.events.signing import webhook_headers


class Outcome:
    DELIVERED = "delivered"
    GONE = "gone"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    REFUSED_ADDRESS = "refused_address"


@dataclass(frozen=True, slots=True)
class Result:
    outcome: str
    status_code: int | None
    latency_ms: int
    retry_after: timedelta | None = None

    @property
    def success(self) -> bool:
        return self.outcome == Outcome.DELIVERED


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 10.2.3); None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta())


# Most receivers answer nothing, or a few bytes. Reading an answer to its end keeps the
# connection for the next event (a response closed unread closes its connection, and a new
# one per event costs more than the event); a longer answer is dropped with its connection.
_DRAIN_BYTES = 16_384


async def _drain(response: httpx.Response) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > _DRAIN_BYTES:
            return


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in found]


async def send(
    client: httpx.AsyncClient,
    url: str,
    secrets: tuple[str, ...],
    message_id: str,
    body: bytes,
    *,
    timeout: float,  # noqa: ASYNC109 - a budget for the lookup and the request together
    allow_private: bool,
    require_https: bool,
) -> Result:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        host = check_url(url, require_https, allow_private)
        addresses = await asyncio.wait_for(_resolve(host, port), timeout)
        check_resolved(addresses, allow_private)
    except (Refused, OSError, TimeoutError):
        return Result(Outcome.REFUSED_ADDRESS, None, elapsed())
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    # The signature's timestamp is the real time: a receiver checks it against its clock.
    timestamp = int(time.time())
    headers = {
        "content-type": CONTENT_TYPE,
        "host": parts.netloc.rsplit("@", 1)[-1],
        **webhook_headers(secrets, message_id, timestamp, body),
    }
    try:
        async with asyncio.timeout(timeout):
            # Streamed: what the receiver answers beyond its status and Retry-After is not
            # ours to hold (_drain).
            request = client.build_request(
                "POST", pinned, content=body, headers=headers, extensions={"sni_hostname": host}
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                await _drain(response)
            finally:
                await response.aclose()
    except TimeoutError:
        return Result(Outcome.TIMEOUT, None, elapsed())
    except httpx.TimeoutException:
        return Result(Outcome.TIMEOUT, None, elapsed())
    except httpx.HTTPError:
        return Result(Outcome.CONNECTION_ERROR, None, elapsed())
    status = response.status_code
    if 200 <= status < 300:
        return Result(Outcome.DELIVERED, status, elapsed())
    if status == 410:
        return Result(Outcome.GONE, status, elapsed())
    wait = None
    if status in (429, 503):
        wait = retry_after(response.headers.get("retry-after"), datetime.now(UTC))
    return Result(Outcome.HTTP_ERROR, status, elapsed(), wait)
