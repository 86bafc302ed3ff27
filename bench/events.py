"""The events part of `make bench` (issue 16): what the outbox costs the write path, and how
fast the dispatcher delivers a backlog of events to a webhook receiver.

Two services, as production starts them, each on a fresh database of its own (so that
neither hears the other's NOTIFYs): `outbox`, as shipped, and `no-outbox`, with
EVENTS_OUTBOX_ENABLED=false (every change is still recorded and announced; no event is
written). Both allow a loopback http receiver (WEBHOOK_REQUIRE_HTTPS=false,
WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true) and nothing else differs.

1. Write path: wrk POSTs telephone suspensions (a Team Leader's token) to
   /customers/{ref}/markers, a different customer each time, interleaved outbox, no-outbox,
   no-outbox, outbox (half the duration each, after a warm-up of each), so that a change
   in the machine's background load weighs on both.
2. Delivery: a receiver (bench/receiver.py, its own process) is subscribed with the admin's
   token, and the subscription paused; wrk then writes until at least EVENTS events are
   owed to it (published by the dispatcher, queued for the endpoint), then the
   subscription is resumed. The clock runs from the first event the receiver gets to the
   EVENTS-th: delivery only, not the writes that produced them.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import seed
from bench.load import WrkFailed, run_wrk
from bench.servers import CpuMeter, Running, ServerFailed, free_port, serve, stop, tail
from bench.tokens import ADMIN, WRITER, BenchIssuer

EVENTS = 10_000  # delivered and timed
DELIVERY_TARGET = 1_000.0  # events/s
OUTBOX_COST_TARGET = 0.10  # with the outbox at most this much below without
WRITE_CONNECTIONS = 16  # the service's pool is 10 + 10 overflow
WRITE_LINES = 200_000  # distinct customers in the write file before wrk cycles back
DELIVERY_TIMEOUT = 90.0  # seconds for the backlog to arrive before the row is an error

SUSPENSION = orjson.dumps(
    {
        "kind": "telephone_suspension",
        "details": {},
        "reason": "Benchmark write.",
        # A customer's second suspension is refused as a duplicate unless meant.
        "additional": True,
    }
).decode()


def write_lines(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (f"POST /customers/E{n:07d}/markers {SUSPENSION}" for n in range(1, WRITE_LINES + 1))
    path.write_text("\n".join(lines) + "\n")
    return path


async def _fresh_database(admin_url: str, name: str) -> str:
    from app.persistence.embedded import ensure_database

    conn = await seed._connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    return await ensure_database(admin_url, name)


def fresh_database(db: seed.Server, name: str) -> str:
    from app.persistence.migrations import upgrade_to_head

    url = asyncio.run(_fresh_database(db.admin_url, name))
    upgrade_to_head(url)
    return url


async def _scalar(url: str, sql: str, *args: Any) -> Any:
    conn = await seed._connect(url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


def scalar(url: str, sql: str, *args: Any) -> Any:
    return asyncio.run(_scalar(url, sql, *args))


def wait_published(url: str, timeout: float = 60.0) -> None:
    """Until the dispatcher has published every committed event (queued it for its
    endpoints)."""
    deadline = time.monotonic() + timeout
    while scalar(url, "SELECT count(*) FROM outbox_events WHERE feed_position IS NULL"):
        if time.monotonic() > deadline:
            raise WrkFailed("the dispatcher did not publish the events within a minute")
        time.sleep(0.2)


def smoke_write(server: Running, header: str) -> None:
    """One write as wrk sends them (for a customer of its own): a 201, or no number."""
    name, value = header.split(": ", 1)
    answer = httpx.post(
        f"{server.base_url}/customers/SMOKE/markers",
        content=SUSPENSION,
        headers={name: value, "content-type": "application/json"},
        timeout=10,
    )
    if answer.status_code != 201:
        raise WrkFailed(
            f"wrong answer, not measured: POST /customers/SMOKE/markers -> "
            f"{answer.status_code} {answer.text[:300]}"
        )


def write_row(key: str, title: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [r for r in runs if r["service"] == key]
    requests = sum(r["requests"] for r in mine)
    seconds = sum(r["duration_s"] for r in mine)
    return {
        "key": f"write_{key.replace('-', '_')}",
        "title": f"write: impose a marker, {'with' if key == 'outbox' else 'without'} outbox",
        "kind": "write",
        "rps": round(requests / seconds, 1),
        "p50_ms": max(r["p50_ms"] for r in mine),
        "p99_ms": max(r["p99_ms"] for r in mine),
        "runs": mine,
        "note": "p50/p99: the higher of its two runs",
    }


def write_rows(
    services: dict[str, Running], lines: Path, cfg: Any, header: str
) -> list[dict[str, Any]]:
    print("  write path, outbox vs none (interleaved) ...", end="", flush=True)
    common = {
        "connections": WRITE_CONNECTIONS,
        "threads": 1,
        "workdir": lines.parent,
        "headers": [header],
        "script": "writes.lua",
    }
    runs: list[dict[str, Any]] = []
    try:
        for server in services.values():
            server.check_alive()
            smoke_write(server, header)
            if cfg.warmup > 0:
                run_wrk(server.base_url, lines, duration=cfg.warmup, **common)
        for name in ("outbox", "no-outbox", "no-outbox", "outbox"):
            server = services[name]
            with CpuMeter(server.proc.pid) as meter:
                result = run_wrk(
                    server.base_url, lines, duration=max(1.0, cfg.duration / 2), **common
                )
            if result.error_count:
                raise WrkFailed(
                    f"{result.error_count} failed of {result.requests} writes on {name}: "
                    f"{result.errors} (status = non-2xx answers)"
                )
            runs.append({"service": name, "cpu_cores": meter.cores, **result.to_json()})
    except (WrkFailed, ServerFailed, subprocess.TimeoutExpired) as error:
        print(" ERROR", flush=True)
        return [
            {"key": "outbox_cost", "title": "write path: outbox cost", "kind": "ratio",
             "error": str(error).strip()[:1500], "runs": runs}
        ]  # fmt: skip
    on, off = write_row("outbox", "", runs), write_row("no-outbox", "", runs)
    cost = 1 - on["rps"] / off["rps"]
    noise = max(r["cpu_cores"]["other"] + r["cpu_cores"]["steal"] for r in runs)
    per_run = ", ".join(f"{r['service']} {r['rps']:,.0f}" for r in runs)
    note = (
        f"{on['rps']:,.0f} writes/s with vs {off['rps']:,.0f} without, {cost:+.1%} "
        f"(per run: {per_run})"
    )
    if noise > 0.2:
        note += f"; machine busy: other processes took up to {noise:.2f} cores"
    print(f" {on['rps']:,.0f} vs {off['rps']:,.0f} writes/s ({cost:+.1%} cost)")
    ratio = {
        "key": "outbox_cost",
        "title": "write path: outbox cost",
        "kind": "ratio",
        "target": f"with outbox >= {1 - OUTBOX_COST_TARGET:.0%} of without",
        "measured": f"{on['rps'] / off['rps']:.0%} of without",
        "met": cost <= OUTBOX_COST_TARGET,
        "ratio": round(on["rps"] / off["rps"], 4),
        "note": note,
    }
    return [on, off, ratio]


@contextlib.contextmanager
def receiver_process(log: Path) -> Any:
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", "--port", str(port), "--mark", str(EVENTS)],
            cwd=seed.ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    running = Running("receiver", proc, port, log)
    try:
        deadline = time.monotonic() + 20
        while True:
            running.check_alive()
            try:
                httpx.get(f"{running.base_url}/stats", timeout=1.0).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise ServerFailed(f"receiver not ready:\n{tail(log)}") from None
                time.sleep(0.1)
        yield running
    finally:
        stop(running)


def delivery_row(
    server: Running, url: str, lines: Path, issuer: BenchIssuer, write_rps: float | None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "key": "events_delivery",
        "title": f"webhook delivery, {EVENTS:,} events",
        "kind": "events",
        "target": f"events/s >= {DELIVERY_TARGET:,.0f}",
    }
    print(f"  {row['title']} to a loopback receiver ...", end="", flush=True)
    admin = dict([h.split(": ", 1) for h in [issuer.header_for(ADMIN, "bench-admin")]])
    writer = issuer.header_for(WRITER, "EMP-BENCH", "Bench Officer")
    try:
        with (
            receiver_process(seed.ROOT / "bench/results/logs/receiver.log") as receiver,
            httpx.Client(base_url=server.base_url, headers=admin, timeout=10) as api,
        ):
            wait_published(url)  # what the write path wrote is owed to nobody
            created = api.post("/subscriptions", json={"url": f"{receiver.base_url}/hooks"})
            if created.status_code != 201:
                raise WrkFailed(f"subscribing: {created.status_code} {created.text[:300]}")
            subscription = created.json()
            httpx.post(f"{receiver.base_url}/secret", content=subscription["secret"])
            paused = api.post(f"/subscriptions/{subscription['id']}/pause")
            if paused.status_code != 200:
                raise WrkFailed(f"pausing: {paused.status_code} {paused.text[:300]}")
            owed_sql = (
                "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 "
                "AND status = 'pending'"
            )
            endpoint_id = uuid.UUID(subscription["id"])
            produced_s = time.monotonic()
            owed = 0
            while owed < EVENTS:
                # Enough writes for what is missing, at the write path's rate, and a margin.
                seconds = max(1.0, 1.3 * (EVENTS - owed) / (write_rps or 300.0))
                result = run_wrk(
                    server.base_url, lines, duration=seconds, connections=WRITE_CONNECTIONS,
                    workdir=lines.parent, headers=[writer], script="writes.lua",
                )  # fmt: skip
                if result.error_count:
                    raise WrkFailed(f"producing events: {result.errors}")
                wait_published(url)
                owed = int(scalar(url, owed_sql, endpoint_id))
            produced_s = time.monotonic() - produced_s
            before = httpx.get(f"{receiver.base_url}/stats").json()
            if before["events"]:
                raise WrkFailed(f"{before['events']} events arrived while paused")
            with CpuMeter(server.proc.pid) as meter:
                resumed = api.post(f"/subscriptions/{subscription['id']}/resume")
                if resumed.status_code != 200:
                    raise WrkFailed(f"resuming: {resumed.status_code} {resumed.text[:300]}")
                deadline = time.monotonic() + DELIVERY_TIMEOUT
                while True:
                    stats = httpx.get(f"{receiver.base_url}/stats").json()
                    if stats["mark_at"] is not None:
                        break
                    if time.monotonic() > deadline:
                        raise WrkFailed(
                            f"{stats['events']:,} of {EVENTS:,} events arrived within "
                            f"{DELIVERY_TIMEOUT:.0f}s"
                        )
                    time.sleep(0.1)
            server.check_alive()
            stats = httpx.get(f"{receiver.base_url}/stats").json()
    except (WrkFailed, ServerFailed, httpx.HTTPError, subprocess.TimeoutExpired) as error:
        print(" ERROR", flush=True)
        return {**row, "error": str(error).strip()[:1500]}
    seconds = stats["mark_at"] - stats["first_at"]
    rate = EVENTS / seconds
    row.update(
        rps=round(rate, 1),
        events_per_s=round(rate, 1),
        measured=f"{rate:,.0f} events/s",
        met=rate >= DELIVERY_TARGET and not stats["unverified"],
        receiver=stats,
        owed=owed,
        produced_seconds=round(produced_s, 1),
        cpu_cores=meter.cores,
        note=(
            f"{EVENTS:,} events (of {owed:,} owed, written through the API while the "
            f"subscription was paused) in {seconds:.2f}s from the first received; "
            f"{stats['duplicates']} redelivered; signatures checked on {stats['verified']}, "
            f"{stats['unverified']} bad; service {meter.cores['server']:.2f} cores"
        ),
    )
    if stats["unverified"]:
        row["error"] = f"{stats['unverified']} deliveries failed signature verification"
    if meter.noise > 0.2:
        row["note"] += f"; machine busy: other processes took {meter.noise:.2f} cores"
    print(f" {rate:,.0f} events/s ({seconds:.2f}s)")
    return row


def events_rows(
    db: seed.Server, cfg: Any, issuer: BenchIssuer, logs: Path, work: Path
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The write path with and without the outbox, then delivery: rows, and the servers."""
    lines = write_lines(work / "writes-markers.txt")
    urls = {name: fresh_database(db, f"bench_events_{name.replace('-', '_')}")
            for name in ("outbox", "no-outbox")}  # fmt: skip
    rows: list[dict[str, Any]] = []
    servers: list[dict[str, Any]] = []
    started: dict[str, Running] = {}
    with contextlib.ExitStack() as stack:
        for name, url in urls.items():
            print(f"service-events-{name}: starting on a fresh database", flush=True)
            env = {
                "DATABASE_URL": url,
                **(cfg.identity_env or {}),
                "EVENTS_OUTBOX_ENABLED": "true" if name == "outbox" else "false",
                # A receiver on loopback over http; production refuses both.
                "WEBHOOK_REQUIRE_HTTPS": "false",
                "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
            }
            try:
                started[name] = stack.enter_context(
                    serve(
                        f"service-events-{name}", "app.cli", env=env,
                        log=logs / f"service-events-{name}.log", ready_timeout=cfg.ready_timeout,
                    )
                )  # fmt: skip
            except ServerFailed as error:
                rows.append(
                    {"key": "outbox_cost", "title": "write path: outbox cost", "kind": "ratio",
                     "error": f"service-events-{name} did not start: {error}"[:1500]}
                )  # fmt: skip
                return rows, servers
        writer = issuer.header_for(WRITER, "EMP-BENCH", "Bench Officer")
        rows += write_rows(started, lines, cfg, writer)
        on = next((r for r in rows if r["key"] == "write_outbox"), None)
        rows.append(
            delivery_row(
                started["outbox"], urls["outbox"], lines, issuer, on["rps"] if on else None
            )
        )
    for name, server in started.items():
        servers.append(
            {
                "name": server.name,
                "database": urls[name].rsplit("/", 1)[-1].split("?")[0],
                "ready_seconds": round(server.ready_seconds, 2),
                "rss_mib": server.rss_mb,
                "log": str(server.log.relative_to(seed.ROOT)),
            }
        )
    return rows, servers
