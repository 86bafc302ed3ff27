"""The events bench's webhook receiver: a bare asyncio HTTP/1.1 server on loopback that
answers every POST with 204 and counts the events, so that it costs the shared machine as
little as possible and the dispatcher, not the receiver, sets the pace.

It dedupes on `webhook-id` (a redelivery is counted apart, as a duplicate), notes the
monotonic time of the first event and of each new one, and verifies the signature of one
event in `--verify-every` with the standardwebhooks library (the secret comes by
`POST /secret`, sent by the harness once it has subscribed), outside the answer's path: a
delivery is answered before it is checked. `GET /stats` answers the figures as JSON, with
the time the `--mark`th distinct event arrived.

Run: `python -m bench.receiver --port 9000` (the harness starts it in its own process).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

_NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"


class Counts:
    def __init__(self, verify_every: int, mark: int) -> None:
        self.webhook: Webhook | None = None
        self.verify_every = verify_every
        self.mark = mark
        self.mark_at: float | None = None
        self.seen: set[str] = set()
        self.requests = 0
        self.duplicates = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.verified = 0
        self.unverified = 0
        self.bad_requests = 0
        self.bodies = 0
        self.to_check: list[tuple[bytes, dict[str, str]]] = []

    def record(self, headers: dict[str, str], body: bytes) -> None:
        self.requests += 1
        message_id = headers.get("webhook-id", "")
        if not message_id:
            self.bad_requests += 1
            return
        if message_id in self.seen:
            self.duplicates += 1
            return
        self.seen.add(message_id)
        now = time.monotonic()
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        if len(self.seen) == self.mark:
            self.mark_at = now
        if self.webhook is not None and len(self.seen) % self.verify_every == 1:
            self.to_check.append((body, headers))

    def check_pending(self) -> None:
        assert self.webhook is not None or not self.to_check
        while self.to_check:
            body, headers = self.to_check.pop()
            try:
                assert self.webhook is not None
                self.webhook.verify(body, headers)
                event = orjson.loads(body)
                # A structured-mode CloudEvent whose id is the delivery's webhook-id.
                if event.get("specversion") != "1.0" or event.get("id") != headers["webhook-id"]:
                    raise WebhookVerificationError("not the CloudEvent signed for")
                self.verified += 1
            except (WebhookVerificationError, ValueError):
                self.unverified += 1

    def stats(self) -> dict[str, Any]:
        self.check_pending()
        return {
            "events": len(self.seen),
            "requests": self.requests,
            "duplicates": self.duplicates,
            "bad_requests": self.bad_requests,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "mark": self.mark,
            "mark_at": self.mark_at,
            "verified": self.verified,
            "unverified": self.unverified,
        }


async def _checker(counts: Counts) -> None:
    # Verifying costs a little CPU: done in batches, off the answer's path.
    while True:
        await asyncio.sleep(0.5)
        counts.check_pending()


def handler(counts: Counts) -> Any:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "GET" and path == "/stats":
                    payload = orjson.dumps(counts.stats())
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                        + f"content-length: {len(payload)}\r\n\r\n".encode()
                        + payload
                    )
                elif method == "POST" and path == "/secret":
                    counts.webhook = Webhook(body.decode())
                    writer.write(_NO_CONTENT)
                else:
                    writer.write(_NO_CONTENT)
                    if method == "POST":
                        counts.record(headers, body)
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    return handle


async def serve(port: int, counts: Counts) -> None:
    server = await asyncio.start_server(handler(counts), "127.0.0.1", port, backlog=512)
    checker = asyncio.create_task(_checker(counts))
    try:
        async with server:
            await server.serve_forever()
    finally:
        checker.cancel()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--verify-every", type=int, default=50)
    parser.add_argument("--mark", type=int, default=10_000)
    args = parser.parse_args(argv)
    counts = Counts(max(1, args.verify_every), args.mark)
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.port, counts))
    else:
        uvloop.run(serve(args.port, counts))


if __name__ == "__main__":
    main()
