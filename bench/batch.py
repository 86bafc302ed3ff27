"""The batch check driver: POST /contact-checks with 10 000 refs per request, end to end.

Sends `--requests` requests of `--size` refs each (100 000 customer checks by default) one at a
time, then the same with `--concurrency` in flight, over keep-alive HTTP/1.1 connections
on loopback, and reports customer checks per second for each: the clock runs from before
the first request is written to after the last response body is read. Every answer is
checked afterwards (status 200, one result per ref, in order), outside the timed part.

A small raw-asyncio client, so that the driver costs as little as possible on the
2-core machine it shares with the server. Prints one JSON object.

Run: `python -m bench.batch --url http://127.0.0.1:8000 --refs refs.txt`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float


class Connection:
    """One keep-alive HTTP/1.1 connection: Content-Length or chunked responses."""

    def __init__(self, host: str, port: int, headers: list[str]) -> None:
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, limit=1 << 22
        )

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()

    async def post(self, path: str, body: bytes) -> Reply:
        assert self.reader is not None and self.writer is not None
        extra = "".join(f"{h}\r\n" for h in self.headers)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length: int | None = None
        chunked = False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            payload = b"".join(parts)
        else:
            payload = await self.reader.readexactly(length or 0)
        return Reply(status, payload, time.perf_counter() - started)


async def run_mode(
    host: str, port: int, bodies: list[bytes], concurrency: int, headers: list[str]
) -> tuple[float, list[Reply]]:
    connections = [Connection(host, port, headers) for _ in range(concurrency)]
    for connection in connections:
        await connection.open()
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for item in enumerate(bodies):
        queue.put_nowait(item)
    replies: list[Reply | None] = [None] * len(bodies)

    async def worker(connection: Connection) -> None:
        while not queue.empty():
            index, body = queue.get_nowait()
            replies[index] = await connection.post("/contact-checks", body)

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        await connection.close()
    return elapsed, [r for r in replies if r is not None]


def check(replies: list[Reply], batches: list[list[str]]) -> list[str]:
    """What is wrong with the answers (empty when every one is right)."""
    problems: list[str] = []
    for reply, refs in zip(replies, batches, strict=True):
        if reply.status != 200:
            problems.append(f"HTTP {reply.status}: {reply.body[:200]!r}")
            continue
        results = orjson.loads(reply.body).get("results")
        if not isinstance(results, list) or len(results) != len(refs):
            problems.append(f"{len(results or [])} results for {len(refs)} refs")
            continue
        for got, want in zip(results, refs, strict=True):
            if isinstance(got, dict) and "customer_ref" in got and got["customer_ref"] != want:
                problems.append(f"results out of order: {got['customer_ref']} for {want}")
                break
    return problems[:5]


def summary(elapsed: float, replies: list[Reply], checks: int, problems: list[str]) -> dict:
    seconds = sorted(r.seconds for r in replies)
    return {
        "requests": len(replies),
        "checks": checks,
        "elapsed_s": round(elapsed, 4),
        "checks_per_s": round(checks / elapsed, 1),
        "requests_per_s": round(len(replies) / elapsed, 3),
        "p50_ms": round(statistics.median(seconds) * 1000, 2),
        "max_ms": round(seconds[-1] * 1000, 2),
        "response_bytes": sum(len(r.body) for r in replies) // max(1, len(replies)),
        "problems": problems,
    }


async def main_async(args: argparse.Namespace) -> dict:
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"refusing to load anything but loopback: {args.url}")
    refs: list[str] = args.ref_list
    need = args.requests * args.size
    if len(refs) < need:
        refs = (refs * (need // len(refs) + 1))[:need]
    batches = [refs[i * args.size : (i + 1) * args.size] for i in range(args.requests)]
    bodies = [orjson.dumps({"channel": args.channel, "customer_refs": batch}) for batch in batches]
    headers = args.header or []
    # Warm-up: one request, untimed, answers checked too.
    _, warm = await run_mode(host, port, bodies[:1], 1, headers)
    result: dict = {"warmup_problems": check(warm, batches[:1])}
    for mode, concurrency in (("sequential", 1), ("concurrent", args.concurrency)):
        elapsed, replies = await run_mode(host, port, bodies, concurrency, headers)
        result[mode] = {
            "concurrency": concurrency,
            **summary(elapsed, replies, need, check(replies, batches)),
        }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--refs", required=True, help="file with one customer ref per line")
    parser.add_argument("--channel", default="phone")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--header", action="append", help="extra 'Name: value' header")
    args = parser.parse_args(argv)
    args.ref_list = [ln.strip() for ln in Path(args.refs).read_text().splitlines() if ln.strip()]
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(main_async(args))
    else:
        result = uvloop.run(main_async(args))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
