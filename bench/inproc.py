"""In-process timing of the hot reads: where the app's own microseconds go, without uvicorn,
sockets or wrk.

The service is built as `crs serve` builds it (create_app, build_asgi, the lifespan: snapshot
loaded from PostgreSQL, the identity provider's keys fetched over HTTP), on the bench's own
generator (`seed.py`, the 10k data set) in an embedded PostgreSQL of this harness's own
(`.data/inproc-postgres`), with a reader's token from the local issuer under an audience of
this harness's own. Each row then sends N requests, shaped as uvicorn hands them over (a
fresh scope each, the token in `authorization`), straight to the served ASGI app, and reports
microseconds of CPU per request (this thread's, so that other processes on a shared
machine weigh less), best of several passes; the slowest row is profiled with cProfile.

Run by hand (not part of `make test`, never at the same time as `make bench`):

    .venv/bin/python -m bench.inproc                 # every row, 20 000 requests, best of 5
    .venv/bin/python -m bench.inproc -n 50000 -r 9   # steadier
    .venv/bin/python -m bench.inproc --only crm_mixed,check_mixed --profile crm_restricted
    .venv/bin/python -m bench.inproc --stop          # stop the harness's PostgreSQL

The embedded PostgreSQL is left running between runs (the data set is cached in it); `--stop`
stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import limit_app, seed

ROOT = Path(__file__).resolve().parent.parent
PGDATA = ROOT / ".data" / "inproc-postgres"
WORKDIR = ROOT / ".data" / "inproc"
AUDIENCE = "contact-restrictions-inproc"
ROLE = "reader"

CRM = "/customers/{ref}/restrictions"
CHECK = "/customers/{ref}/contact-check?channel=phone"
CHECK_FLAT = "/customers/{ref}/contact-check?channel=phone&format=flat"
CHECK_FLAT_PATH = "/customers/{ref}/contact-check/flat?channel=phone"

# key -> (path template, which customers, the status every answer must have)
ROWS: dict[str, tuple[str, str, int]] = {
    "crm_mixed": (CRM, "mixed", 200),
    "check_mixed": (CHECK, "mixed", 200),
    "check_flat_mixed": (CHECK_FLAT, "mixed", 200),
    "crm_plain": (CRM, "plain", 200),
    "crm_restricted": (CRM, "restricted", 200),
    "check_plain": (CHECK, "plain", 200),
    "check_restricted": (CHECK, "restricted", 200),
    "flat_path_restricted": (CHECK_FLAT_PATH, "restricted", 200),
    "bad_token": (CHECK_FLAT, "mixed", 401),
}
MIX_RESTRICTED = 0.2  # as bench/run.py: 80 % customers without markers, 20 % restricted

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGI = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


@dataclass
class Result:
    key: str
    requests: int
    best_us: float
    median_us: float
    fell_through: int


def _scope(path: str, authorization: bytes) -> Scope:
    """As uvicorn's httptools protocol builds it for `GET path` with wrk's headers."""
    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", authorization)],
        "state": {},
    }


def _refs(data: seed.Seeded, which: str, size: int, rng: random.Random) -> list[str]:
    restricted = sorted(data.restricted)
    if which == "restricted":
        return [rng.choice(restricted) for _ in range(size)]
    plain: list[str] = []
    wanted = size if which == "plain" else size - round(size * MIX_RESTRICTED)
    while len(plain) < wanted:
        candidate = seed.ref(rng.randint(1, data.dataset.customers))
        if candidate not in data.marked:
            plain.append(candidate)
    if which == "plain":
        return plain
    refs = plain + [rng.choice(restricted) for _ in range(size - len(plain))]
    rng.shuffle(refs)
    return refs


class _Counter:
    """Stands where the routes are, behind the fast layer: counts what it leaves to them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.inner(scope, receive, send)


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _pass(served: ASGI, scopes: list[Scope], expect: int) -> float:
    """Seconds for one pass over `scopes`; every answer must have status `expect`."""
    wrong: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] != expect:
            wrong.append(message["status"])

    # CPU time of this thread: on a shared machine, time spent descheduled is not ours.
    started = time.thread_time()
    for scope in scopes:
        await served(scope.copy(), _receive, send)
    elapsed = time.thread_time() - started
    if wrong:
        raise SystemExit(f"{len(wrong)} answers were not {expect}: e.g. {wrong[0]}")
    return elapsed


async def _time_row(
    served: ASGI, counter: _Counter | None, key: str, scopes: list[Scope], expect: int, repeat: int
) -> Result:
    await _pass(served, scopes[: min(len(scopes), 2000)], expect)  # warm the caches
    times: list[float] = []
    fell = 0
    for _ in range(repeat):
        # Let the heartbeat run between passes (a pass never yields to the event loop), so
        # the snapshot stays current and the fast layer answers.
        await asyncio.sleep(0.02)
        before = counter.calls if counter else 0
        times.append(await _pass(served, scopes, expect))
        fell += (counter.calls if counter else 0) - before
    times.sort()
    n = len(scopes)
    return Result(key, n, times[0] / n * 1e6, times[len(times) // 2] / n * 1e6, fell)


def _time_gate(gate: Any, authorization: str, n: int, repeat: int) -> Result:
    """The gate alone (verified-token cache and matrix), as the fast layer calls it."""
    from app.auth import Action

    times: list[float] = []
    for _ in range(repeat):
        started = time.thread_time()
        for _ in range(n):
            gate.check(Action.CHECK_CONTACT, authorization)
        times.append(time.thread_time() - started)
    times.sort()
    return Result("(gate.check alone)", n, times[0] / n * 1e6, times[len(times) // 2] / n * 1e6, 0)


async def _profile(served: ASGI, scopes: list[Scope], expect: int, top: int) -> str:
    profiler = cProfile.Profile()
    await asyncio.sleep(0.02)
    profiler.enable()
    await _pass(served, scopes, expect)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


async def _run(args: argparse.Namespace, data: seed.Seeded) -> None:
    from app.identity.dev_issuer import DevIssuer
    from app.logs import silence_access_log
    from app.main import build_asgi, create_app
    from app.reads.fastpath import FastReads
    from app.settings import Settings

    silence_access_log()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    issuer = DevIssuer(WORKDIR, 0, audience=AUDIENCE)
    issuer.start()
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            log_level="WARNING",
            oidc_issuer=issuer.issuer,
            oidc_audience=AUDIENCE,
            oidc_provider="generic",
            oidc_role_map={ROLE: ROLE},
        )
        app = create_app(settings, database_url=data.url)
        served: Any = build_asgi(app)
        layer = served
        while not isinstance(layer, FastReads):
            layer = layer.app
        counter = _Counter(layer.app)
        layer.app = counter

        token = issuer.mint([ROLE], subject="inproc-crm", client_id="inproc-crm")
        good = f"Bearer {token}".encode()
        head, claims, _ = token.split(".")
        # Under the issuer's own kid, a signature that is not one: refused (once checked,
        # from the refusal cache).
        bad = f"Bearer {head}.{claims}.{'A' * 342}".encode()

        rng = random.Random("inproc")
        async with app.router.lifespan_context(app):
            if not app.state.snapshot.loaded:
                raise SystemExit("the snapshot did not load")
            results: list[Result] = []
            scopes_of: dict[str, list[Scope]] = {}
            limit = await _time_row(
                limit_app.app, None, "limit", [_scope("/", good)] * args.requests, 200, args.repeat
            )
            results.append(limit)
            for key, (template, which, expect) in ROWS.items():
                if args.only and key not in args.only:
                    continue
                refs = _refs(data, which, args.requests, rng)
                authorization = bad if expect == 401 else good
                scopes = [_scope(template.format(ref=r), authorization) for r in refs]
                scopes_of[key] = scopes
                results.append(await _time_row(served, counter, key, scopes, expect, args.repeat))
            results.append(_time_gate(app.state.gate, good.decode(), args.requests, args.repeat))
            print(f"\n{'row':<22}{'requests':>9}{'best CPU µs':>13}{'median':>9}  fell through")
            for r in results:
                print(
                    f"{r.key:<22}{r.requests:>9}{r.best_us:>13.2f}{r.median_us:>9.2f}"
                    f"  {r.fell_through}"
                )
            measured = [r for r in results if r.key in scopes_of]
            if args.top and (args.profile or measured):
                worst = args.profile or max(measured, key=lambda r: r.best_us).key
                if worst not in scopes_of:
                    template, which, expect = ROWS[worst]
                    refs = _refs(data, which, args.requests, rng)
                    authorization = bad if expect == 401 else good
                    scopes_of[worst] = [_scope(template.format(ref=r), authorization) for r in refs]
                expect = ROWS[worst][2]
                print(f"\ncProfile of {worst} ({len(scopes_of[worst])} requests):")
                print(await _profile(served, scopes_of[worst], expect, args.top))
    finally:
        issuer.stop()


def _stop() -> None:
    from app.persistence.embedded import EmbeddedPostgres

    EmbeddedPostgres(PGDATA).stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc", description=__doc__)
    parser.add_argument("-n", "--requests", type=int, default=20_000, help="requests per row")
    parser.add_argument("-r", "--repeat", type=int, default=5, help="passes per row (best)")
    parser.add_argument(
        "--only",
        type=lambda s: set(s.split(",")),
        default=None,
        help=f"rows, comma-separated: {', '.join(ROWS)}",
    )
    parser.add_argument(
        "--profile",
        choices=list(ROWS),
        default=None,
        help="the row to profile (default: the slowest)",
    )
    parser.add_argument(
        "--top", type=int, default=30, help="functions listed in the profile (0: no profile)"
    )
    parser.add_argument("--stop", action="store_true", help="stop the harness's PostgreSQL")
    args = parser.parse_args(argv)
    if args.stop:
        _stop()
        return

    from app.persistence.embedded import EmbeddedPostgres

    admin = EmbeddedPostgres(PGDATA).start()
    data = seed.prepare(seed.Server(admin, None, started_here=False), seed.DATASETS["10k"])
    print(
        f"data: {data.counts['customers']} customers, {len(data.restricted)} restricted now"
        f" ({PGDATA.relative_to(ROOT)}; stop it with --stop)",
        file=sys.stderr,
    )
    try:
        import uvloop

        uvloop.run(_run(args, data))
    except ImportError:
        asyncio.run(_run(args, data))


if __name__ == "__main__":
    main()
