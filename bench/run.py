"""`make bench`: seed (cached), serve, drive with wrk, report.

1. Seeds the two data sets (bench/seed.py; cached between runs).
2. Serves, each in its own process as production does (uvicorn, uvloop, httptools, no access
   log): the limit app (bench/limit_app.py), then the service on bench_1m, then (with that
   one still up, for an interleaved comparison) on bench_10k.
3. Drives each scenario with wrk from a separate process on 127.0.0.1, spreading requests
   over many customers (bench/wrk/requests.lua), after a short warm-up; the batch check with
   bench/batch.py.
4. Prints a table and writes bench/results/<timestamp>.json, latest.json and latest.png.

Settings (environment): BENCH_DURATION (seconds per scenario, default 10), BENCH_WARMUP
(seconds of warm-up before each saturating scenario, default 2), BENCH_CONNECTIONS (32),
BENCH_THREADS (1), BENCH_WORKERS (WEB_CONCURRENCY of the servers, 1), BENCH_READY_TIMEOUT
(180), BENCH_RESEED=1 (seed again), BENCH_KEEP_DB=1 (leave the embedded PostgreSQL running),
BENCH_HEADER ('Name: value' sent with every request), BENCH_PNG=0 (no chart),
BENCH_STRICT=1 (exit 1 when a target is missed), BENCH_ONLY (comma list of: limit, 1m, 10k,
batch, events), BENCH_WAIT_QUIET (seconds to wait, before each measurement, for other processes to
leave the CPUs idle; 0). DATABASE_URL: use that PostgreSQL server for the bench databases instead of the
embedded one.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import report, seed
from bench.events import events_rows
from bench.load import WrkFailed, WrkResult, run_wrk, wrk_version
from bench.matrix import matrix_row
from bench.servers import CpuMeter, Running, ServerFailed, machine_cpu_seconds, serve
from bench.tokens import BenchIssuer

RESULTS = report.RESULTS
WORK = RESULTS / "work"
LOGS = RESULTS / "logs"

MIX_RESTRICTED = 0.2  # share of requests, in the mixed scenarios, for restricted customers
MIX_SIZE = 100_000  # distinct requests in a mixed paths file before wrk cycles back
BATCH_TARGET = 100_000.0  # customer checks per second
SCALE_TARGET = 1.2  # rps on 10k customers / rps on 1M customers
BUSY_CORES = 0.2  # CPU used by other processes during a run above which the row says so

ALL_PARTS = frozenset({"limit", "1m", "10k", "batch", "events"})  # BENCH_ONLY picks some of these

CRM = "/customers/{ref}/restrictions"
CHECK = "/customers/{ref}/contact-check?channel=phone"
CHECK_FLAT = "/customers/{ref}/contact-check?channel=phone&format=flat"


@dataclass(frozen=True)
class Config:
    duration: float
    warmup: float
    connections: int
    threads: int
    workers: int
    ready_timeout: float
    only: frozenset[str]
    headers: tuple[str, ...]
    wait_quiet: float
    # The service's identity provider settings (bench/tokens.py), set once it is up.
    identity_env: dict[str, str] | None = None
    bad_token_header: str = ""

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ.get
        only = {p.strip() for p in env("BENCH_ONLY", "").split(",") if p.strip()}
        return cls(
            duration=float(env("BENCH_DURATION", "10")),
            warmup=float(env("BENCH_WARMUP", "2")),
            connections=int(env("BENCH_CONNECTIONS", "32")),
            threads=int(env("BENCH_THREADS", "1")),
            workers=int(env("BENCH_WORKERS", "1")),
            ready_timeout=float(env("BENCH_READY_TIMEOUT", "180")),
            only=frozenset(only or ALL_PARTS),
            headers=tuple(h for h in [env("BENCH_HEADER")] if h),
            wait_quiet=float(env("BENCH_WAIT_QUIET", "0")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration,
            "warmup_s": self.warmup,
            "connections": self.connections,
            "threads": self.threads,
            "web_concurrency": self.workers,
            "mix_restricted_share": MIX_RESTRICTED,
            "only": sorted(self.only),
            "wait_quiet_s": self.wait_quiet,
        }


# -- request lists -----------------------------------------------------------------------


def mixed_refs(data: seed.Seeded, size: int, rng: random.Random) -> list[str]:
    """`size` refs: MIX_RESTRICTED of them customers with a marker in force, the rest
    customers with no marker at all, shuffled."""
    n_restricted = round(size * MIX_RESTRICTED)
    restricted = [rng.choice(data.restricted) for _ in range(n_restricted)]
    plain: list[str] = []
    while len(plain) < size - n_restricted:
        candidate = seed.ref(rng.randint(1, data.dataset.customers))
        if candidate not in data.marked:
            plain.append(candidate)
    refs = restricted + plain
    rng.shuffle(refs)
    return refs


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class RefFiles:
    mixed: list[str]
    restricted: list[str]
    name: str

    def paths(self, template: str, which: str) -> Path:
        refs = self.mixed if which == "mixed" else self.restricted
        file = WORK / f"paths-{self.name}-{which}-{_slug(template)}.txt"
        return write_lines(file, [template.format(ref=r) for r in refs])


def _slug(template: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in template.strip("/")).strip("_")


def ref_files(data: seed.Seeded) -> RefFiles:
    rng = random.Random(f"bench-refs-{data.dataset.key}")
    restricted = list(data.restricted)
    rng.shuffle(restricted)
    return RefFiles(mixed_refs(data, MIX_SIZE, rng), restricted, data.dataset.key)


# -- one scenario ----------------------------------------------------------------------


def smoke(
    server: Running,
    paths_file: Path,
    headers: tuple[str, ...],
    expect_restricted: bool | None,
    status: int = 200,
) -> str | None:
    """Ask for a sample of the scenario's paths: None when every answer is a JSON `status`
    (for the CRM read, as restricted as expected), else what is wrong. No number is
    reported for a scenario whose answers are wrong."""
    sample = paths_file.read_text().splitlines()[:25]
    hdrs = {name.strip(): value.strip() for name, value in (h.split(":", 1) for h in headers)}
    with httpx.Client(base_url=server.base_url, timeout=10.0, headers=hdrs) as client:
        for path in sample:
            response = client.get(path)
            if response.status_code != status:
                return f"GET {path} -> {response.status_code} {response.text[:200]}"
            try:
                body = response.json()
            except ValueError:
                return f"GET {path} -> not JSON: {response.text[:200]}"
            if (
                expect_restricted is not None
                and isinstance(body, dict)
                and "restricted" in body
                and body["restricted"] is not expect_restricted
            ):
                return f"GET {path} -> restricted: {body['restricted']}, not {expect_restricted}"
    return None


def http_row(
    key: str,
    title: str,
    server: Running,
    paths_file: Path,
    cfg: Config,
    *,
    rate: float | None = None,
    expect_restricted: bool | None = None,
    refused: bool = False,
) -> dict[str, Any]:
    """`refused`: every request carries a bad token, and each answer must be the 401."""
    row: dict[str, Any] = {
        "key": key,
        "title": title,
        "kind": "http" if rate is None else "paced",
        "server": server.name,
        "paths_file": paths_file.name,
        "distinct_requests": sum(1 for _ in paths_file.open()),
    }
    print(f"  {title} ...", end="", flush=True)
    try:
        server.check_alive()
        headers = (cfg.bad_token_header,) if refused else cfg.headers
        problem = smoke(server, paths_file, headers, expect_restricted, 401 if refused else 200)
        if problem:
            raise WrkFailed(f"wrong answer, not measured: {problem}")
        common = {
            "connections": cfg.connections,
            "threads": cfg.threads,
            "workdir": WORK,
            "headers": list(headers),
        }
        if rate is None and cfg.warmup > 0:
            run_wrk(server.base_url, paths_file, duration=cfg.warmup, **common)
        wait_quiet(cfg.wait_quiet)
        with CpuMeter(server.proc.pid) as meter:
            result: WrkResult = run_wrk(
                server.base_url, paths_file, duration=cfg.duration, rate=rate, **common
            )
        server.check_alive()
    except (WrkFailed, ServerFailed, httpx.HTTPError, subprocess.TimeoutExpired) as error:
        row["error"] = str(error).strip()[:1500]
        print(" ERROR", flush=True)
        return row
    row.update(
        rps=result.rps,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        wrk=result.to_json(),
        cpu_cores=meter.cores,
    )
    notes = []
    if refused:
        # wrk counts every 401 as a failure: here each is the answer wanted.
        others = {k: v for k, v in result.errors.items() if k != "status" and v}
        if others:
            row["error"] = f"{sum(others.values())} failed of {result.requests}: {others}"
        notes.append("every request carries a token with a bad signature: each answer a 401")
    elif result.error_count:
        row["error"] = (
            f"{result.error_count} failed of {result.requests} requests: {result.errors} "
            "(status = non-2xx/3xx answers)"
        )
    if rate is not None:
        row["target_rate"] = round(rate, 1)
        notes.append(
            f"paced at {rate:,.0f}/s (half the saturating {rate * 2:,.0f}/s), "
            f"achieved {result.rps:,.0f}/s with {cfg.connections} connections"
        )
    if meter.noise > BUSY_CORES:
        notes.append(
            f"machine busy: other processes (or the hypervisor) took {meter.noise:.2f} cores "
            "during the run, so this row may be low"
        )
    if notes:
        row["note"] = "; ".join(notes)
    print(
        f" {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
        f" (cores: server {meter.cores['server']:.2f}, wrk {meter.cores['load_generator']:.2f},"
        f" other {meter.noise:.2f})"
    )
    return row


def batch_rows(server: Running, refs_file: Path, cfg: Config) -> list[dict[str, Any]]:
    print("  batch POST /contact-checks ...", end="", flush=True)
    argv = [
        sys.executable, "-m", "bench.batch", "--url", server.base_url, "--refs", str(refs_file),
        "--requests", "10", "--size", "10000", "--concurrency", "2",
    ]  # fmt: skip
    for header in cfg.headers:
        argv += ["--header", header]
    titles = {
        "sequential": "batch 10 x 10k refs, 1 in flight",
        "concurrent": "batch 10 x 10k refs, 2 in flight",
    }
    try:
        server.check_alive()
        wait_quiet(cfg.wait_quiet)
        with CpuMeter(server.proc.pid) as meter:
            proc = subprocess.run(
                argv, capture_output=True, text=True, timeout=600, check=False, cwd=seed.ROOT
            )
        if proc.returncode != 0:
            raise RuntimeError(f"bench.batch exited {proc.returncode}: {proc.stderr[-1500:]}")
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (RuntimeError, ValueError, IndexError, ServerFailed, subprocess.TimeoutExpired) as e:
        print(" ERROR", flush=True)
        return [
            {"key": f"batch_{mode}", "title": title, "kind": "batch", "error": str(e)[:1500]}
            for mode, title in titles.items()
        ]
    rows = []
    for mode, title in titles.items():
        result = data[mode]
        problems = result["problems"] or (data["warmup_problems"] if mode == "sequential" else [])
        row: dict[str, Any] = {
            "key": f"batch_{mode}",
            "title": title,
            "kind": "batch",
            "rps": result["requests_per_s"],
            "p50_ms": result["p50_ms"],
            "p99_ms": result["max_ms"],
            "checks_per_s": result["checks_per_s"],
            "target": f"checks/s >= {BATCH_TARGET:,.0f}",
            "target_value": BATCH_TARGET,
            "measured": f"{result['checks_per_s']:,.0f} checks/s",
            "met": result["checks_per_s"] >= BATCH_TARGET and not problems,
            "note": f"{result['checks']:,} checks in {result['elapsed_s']:.2f}s; p99 column is "
            f"the slowest of {result['requests']} requests; ~{result['response_bytes']:,} "
            "bytes per answer",
            "batch": result,
            "cpu_cores": meter.cores,
        }
        if meter.noise > BUSY_CORES:
            row["note"] += f"; machine busy: other processes took {meter.noise:.2f} cores"
        if problems:
            row["error"] = "wrong answers: " + "; ".join(problems)
        rows.append(row)
    print(
        f" {data['sequential']['checks_per_s']:,.0f} / {data['concurrent']['checks_per_s']:,.0f}"
        " checks/s"
    )
    return rows


def not_run(key: str, title: str, reason: str) -> dict[str, Any]:
    return {"key": key, "title": title, "kind": "http", "error": reason}


# -- the whole run ---------------------------------------------------------------------


SATURATING_1M = [  # key, title, path template, which refs, expected `restricted`
    ("healthz", "GET /healthz", None, None, None),
    ("crm_mixed", "CRM read, mixed", CRM, "mixed", None),
    ("check_mixed", "contact check JSON, mixed", CHECK, "mixed", None),
    ("check_flat_mixed", "contact check flat, mixed", CHECK_FLAT, "mixed", None),
    ("crm_restricted", "CRM read, restricted only", CRM, "restricted", True),
    ("check_restricted", "contact check, restricted only", CHECK, "restricted", None),
]
HALF = [  # key, title, the saturated row it halves, path template
    ("crm_half", "CRM read at half saturation", "crm_mixed", CRM),
    ("check_half", "contact check at half saturation", "check_mixed", CHECK),
]


def start_service(
    stack: contextlib.ExitStack, data: seed.Seeded, cfg: Config, started: list[Running]
) -> Running | None:
    name = f"service-{data.dataset.key}"
    print(f"{name}: starting on {data.dataset.database} (loads the snapshot)", flush=True)
    try:
        server = stack.enter_context(
            serve(
                name,
                "app.cli",
                env={"DATABASE_URL": data.url, **(cfg.identity_env or {})},
                log=LOGS / f"{name}.log",
                ready_timeout=cfg.ready_timeout,
            )
        )
    except ServerFailed as error:
        print(f"  did not start: {error}", flush=True)
        return None
    print(f"  ready in {server.ready_seconds:.1f}s, RSS {server.rss_mb['ready']} MiB")
    started.append(server)
    return server


def scenarios_1m(server: Running, files: RefFiles, cfg: Config) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key, title, template, which, expect in SATURATING_1M:
        if template is None:
            paths = write_lines(WORK / "paths-healthz.txt", ["/healthz"])
        else:
            paths = files.paths(template, which or "mixed")
        rows.append(http_row(key, title, server, paths, cfg, expect_restricted=expect))
    rows.append(
        http_row(
            "check_flat_bad_token", "contact check flat, bad token (401)", server,
            files.paths(CHECK_FLAT, "mixed"), cfg, refused=True,
        )
    )  # fmt: skip
    for key, title, base_key, template in HALF:
        base = next((r for r in rows if r["key"] == base_key), {})
        if not base.get("rps") or base.get("error"):
            rows.append(not_run(key, title, f"no saturating rate from {base_key}"))
            continue
        rate = base["rps"] / 2
        rows.append(http_row(key, title, server, files.paths(template, "mixed"), cfg, rate=rate))
    return rows


def scale_row(
    large: Running, small: Running, files: dict[str, RefFiles], cfg: Config
) -> dict[str, Any]:
    """The CRM read on 10k customers against 1M, measured interleaved (1M, 10k, 10k, 1M;
    half the duration each) with both servers up, so that a change in the background load
    of the machine weighs on both sides alike."""
    row: dict[str, Any] = {
        "key": "scale_ratio",
        "title": "CRM read cost, 10k vs 1M",
        "kind": "ratio",
        "target": f"rps 10k / rps 1M <= {SCALE_TARGET}",
    }
    print(f"  {row['title']} (interleaved 1M, 10k, 10k, 1M) ...", end="", flush=True)
    paths = {"1m": files["1m"].paths(CRM, "mixed"), "10k": files["10k"].paths(CRM, "mixed")}
    servers = {"1m": large, "10k": small}
    common = {
        "connections": cfg.connections,
        "threads": cfg.threads,
        "workdir": WORK,
        "headers": list(cfg.headers),
    }
    runs: list[dict[str, Any]] = []
    try:
        for key in ("1m", "10k"):
            problem = smoke(servers[key], paths[key], cfg.headers, None)
            if problem:
                raise WrkFailed(f"wrong answer, not measured: {problem}")
            if cfg.warmup > 0:
                run_wrk(servers[key].base_url, paths[key], duration=cfg.warmup, **common)
        for key in ("1m", "10k", "10k", "1m"):
            wait_quiet(cfg.wait_quiet)
            with CpuMeter(servers[key].proc.pid) as meter:
                result = run_wrk(
                    servers[key].base_url, paths[key], duration=max(1.0, cfg.duration / 2),
                    **common,
                )  # fmt: skip
            if result.error_count:
                raise WrkFailed(f"{result.error_count} failed requests on {key}: {result.errors}")
            runs.append({"data": key, "cpu_cores": meter.cores, **result.to_json()})
    except (WrkFailed, ServerFailed, httpx.HTTPError, subprocess.TimeoutExpired) as error:
        print(" ERROR", flush=True)
        return {**row, "error": str(error).strip()[:1500], "runs": runs}
    rps = {
        key: sum(r["requests"] for r in runs if r["data"] == key)
        / sum(r["duration_s"] for r in runs if r["data"] == key)
        for key in ("1m", "10k")
    }
    ratio = rps["10k"] / rps["1m"]
    noise = max(r["cpu_cores"]["other"] + r["cpu_cores"]["steal"] for r in runs)
    per_run = ", ".join(f"{r['data']} {r['rps']:,.0f}" for r in runs)
    note = (
        f"{rps['10k']:,.0f} req/s on 10k customers vs {rps['1m']:,.0f} on 1M, interleaved "
        f"(per run: {per_run})"
    )
    if noise > BUSY_CORES:
        note += f"; machine busy: other processes took up to {noise:.2f} cores"
    print(f" {ratio:.2f}")
    return {
        **row,
        "ratio": round(ratio, 3),
        "rps_10k": round(rps["10k"], 1),
        "rps_1m": round(rps["1m"], 1),
        "measured": f"{ratio:.2f}",
        "met": ratio <= SCALE_TARGET,
        "note": note,
        "runs": runs,
    }


def run_services(
    data: dict[str, seed.Seeded], files: dict[str, RefFiles], cfg: Config
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The service on 1M customers (its scenarios, the batch), then, with it still up, on
    10k (its CRM read, and the interleaved comparison of the two)."""
    rows: list[dict[str, Any]] = []
    started: list[Running] = []
    with contextlib.ExitStack() as stack:
        large = start_service(stack, data["1m"], cfg, started)
        if large is None:
            rows.append(not_run("service_1m", "service on bench_1m", "did not start (see log)"))
        else:
            if "1m" in cfg.only:
                rows.extend(scenarios_1m(large, files["1m"], cfg))
            if "batch" in cfg.only:
                refs_file = write_lines(WORK / "refs-1m-mixed.txt", files["1m"].mixed)
                rows.extend(batch_rows(large, refs_file, cfg))
        if "10k" in cfg.only:
            small = start_service(stack, data["10k"], cfg, started)
            title = "CRM read, mixed, 10k customers"
            if small is None:
                rows.append(not_run("crm_mixed_10k", title, "did not start (see log)"))
            else:
                paths = files["10k"].paths(CRM, "mixed")
                rows.append(http_row("crm_mixed_10k", title, small, paths, cfg))
                if large is not None:
                    rows.append(scale_row(large, small, files, cfg))
    by_name = {f"service-{k}": d for k, d in data.items()}
    return rows, [_server_json(s, by_name[s.name]) for s in started]


def machine_idle_check(seconds: float = 1.0) -> float:
    """Cores the rest of the machine keeps busy right now (before anything of ours runs)."""
    before = machine_cpu_seconds()
    time.sleep(seconds)
    after = machine_cpu_seconds()
    return sum(after[k] - before[k] for k in after) / seconds


def wait_quiet(limit: float) -> None:
    """BENCH_WAIT_QUIET: on a shared machine, wait (up to `limit` seconds) until the rest of
    it is idle before measuring. Off by default: a run always ends in bounded time."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if machine_idle_check(1.0) <= BUSY_CORES:
            return


def _server_json(server: Running, data: seed.Seeded | None) -> dict[str, Any]:
    return {
        "name": server.name,
        "database": data.dataset.database if data else None,
        "ready_seconds": round(server.ready_seconds, 2),
        "rss_mib": server.rss_mb,
        "log": str(server.log.relative_to(seed.ROOT)),
    }


# The targets for the two reads: a share of the limit when saturated, and p99 at
# half the saturating rate.
SHARE_TARGET = 0.70
SHARE_ROWS = ("crm_mixed", "check_mixed", "check_flat_mixed")
HALF_P99_TARGET_MS = 3.0


def finish_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each saturated row's share of the limit's requests/s, and the targets met or not."""
    limit_row = next((r for r in rows if r["key"] == "limit"), {})
    limit = None if limit_row.get("error") else limit_row.get("rps")
    for row in rows:
        if row.get("kind") == "http" and row.get("rps") and limit:
            row["share_of_limit"] = round(row["rps"] / limit, 4)
        if row["key"] in SHARE_ROWS and row.get("share_of_limit") is not None:
            row["target"] = f"share >= {SHARE_TARGET:.0%}"
            row["measured"] = f"{row['share_of_limit']:.0%}"
            row["met"] = row["share_of_limit"] >= SHARE_TARGET
        if row.get("kind") == "paced" and row.get("p99_ms") is not None:
            row["target"] = f"p99 <= {HALF_P99_TARGET_MS:g} ms"
            row["measured"] = f"{row['p99_ms']:.2f} ms"
            row["met"] = row["p99_ms"] <= HALF_P99_TARGET_MS
    return rows


def main() -> int:
    warnings.filterwarnings("ignore", module="platformdirs")
    cfg = Config.from_env()
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if shutil.which("wrk") is None:
        print("wrk is not installed: `make bench` installs it (apt-get install wrk)")
        return 2
    for folder in (WORK, LOGS):
        folder.mkdir(parents=True, exist_ok=True)

    idle = machine_idle_check()
    if idle > BUSY_CORES:
        print(
            f"warning: other processes are using {idle:.1f} of {os.cpu_count()} cores; "
            "the numbers may be low (rows measured while busy say so)"
        )
    print("data sets: checking the cache (seeds when missing or stale)", flush=True)
    seed.check_details_against_app()
    # Every read carries a valid bearer token, verified as in production (bench/tokens.py).
    issuer = BenchIssuer(WORK)
    issuer.start()
    cfg = replace(
        cfg,
        headers=(*cfg.headers, issuer.header()),
        identity_env=issuer.env(),
        bad_token_header=issuer.forged_header(),
    )
    db = seed.start_server()
    rows: list[dict[str, Any]] = []
    servers: list[dict[str, Any]] = []
    datasets: dict[str, Any] = {}
    try:
        data = {}
        reseed = os.environ.get("BENCH_RESEED") == "1"
        # The events part writes to fresh databases of its own: no data set needed.
        for key in ("1m", "10k") if cfg.only - {"events"} else ():
            t0 = time.monotonic()
            data[key] = seed.prepare(db, seed.DATASETS[key], force=reseed)
            what = ", ".join(f"{k} {v:.1f}s" for k, v in data[key].seeded.items()) or "cached"
            print(f"  {data[key].dataset.database}: {what} ({time.monotonic() - t0:.1f}s)")
            datasets[key] = {
                "database": data[key].dataset.database,
                "counts": data[key].counts,
                "seeded_seconds": {k: round(v, 2) for k, v in data[key].seeded.items()},
            }
        files = {key: ref_files(d) for key, d in data.items()}

        if "limit" in cfg.only:
            print("limit app: starting", flush=True)
            try:
                with serve("limit", "bench.limit_app", env={}, log=LOGS / "limit.log") as server:
                    rows.append(
                        http_row("limit", "limit (bare ASGI, constant JSON)", server,
                                 files["1m"].paths(CRM, "mixed"), cfg)
                    )  # fmt: skip
                servers.append(_server_json(server, None))
            except ServerFailed as error:
                rows.append(not_run("limit", "limit (bare ASGI, constant JSON)", str(error)))
        if cfg.only & {"1m", "batch", "10k"}:
            service_rows, service_servers = run_services(data, files, cfg)
            rows.extend(service_rows)
            servers.extend(service_servers)
        if "events" in cfg.only:
            wait_quiet(cfg.wait_quiet)
            event_rows, event_servers = events_rows(db, cfg, issuer, LOGS, WORK)
            rows.extend(event_rows)
            servers.extend(event_servers)
    finally:
        issuer.stop()
        if os.environ.get("BENCH_KEEP_DB") != "1":
            db.stop_if_started_here()
    rows.append(matrix_row())

    rows = finish_rows(_ordered(rows))
    document = {
        "timestamp": stamp,
        "elapsed_s": round(time.monotonic() - started, 1),
        "machine": report.machine(),
        "git": report.git_state(),
        "wrk": wrk_version(),
        "config": cfg.to_json(),
        "busy_cores_at_start": round(idle, 2),
        "datasets": datasets,
        "servers": servers,
        "scenarios": rows,
    }
    print()
    print(report.table(rows))
    complete = cfg.only == ALL_PARTS
    paths = report.write_json(document, stamp, latest=complete)
    png = report.write_png(document, stamp, latest=complete)
    elapsed = time.monotonic() - started
    print(f"\nwrote {', '.join(str(p.relative_to(seed.ROOT)) for p in paths)}"
          + (f", {png.relative_to(seed.ROOT)}" if png else "") + f" in {elapsed:.0f}s")  # fmt: skip
    failed = any(r.get("error") for r in rows)
    missed = any(r.get("met") is False for r in rows)
    if failed:
        return 1
    return 1 if missed and os.environ.get("BENCH_STRICT") == "1" else 0


ORDER = [
    "limit", "healthz", "crm_mixed", "check_mixed", "check_flat_mixed", "crm_restricted",
    "check_restricted", "check_flat_bad_token", "crm_half", "check_half", "service_1m",
    "crm_mixed_10k", "scale_ratio",
    "batch_sequential", "batch_concurrent",
    "write_outbox", "write_no_outbox", "outbox_cost", "events_delivery", "matrix_check",
]  # fmt: skip


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: ORDER.index(r["key"]) if r["key"] in ORDER else 99)


if __name__ == "__main__":
    sys.exit(main())
