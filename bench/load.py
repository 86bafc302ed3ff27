"""Drive a server with wrk (a separate process, 127.0.0.1 only) and read its JSON summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

WRK_DIR = Path(__file__).resolve().parent / "wrk"


class WrkFailed(RuntimeError):
    pass


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float
    bytes: int
    errors: dict[str, int]
    connections: int
    threads: int
    target_rate: float | None = None

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def wrk_version() -> str:
    if shutil.which("wrk") is None:
        return "missing"
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else ""


def script_for(workdir: Path, rate: float | None, threads: int) -> Path:
    """The Lua script: requests.lua, plus paced.lua with this run's interval for a fixed rate."""
    base = (WRK_DIR / "requests.lua").read_text()
    if rate is None:
        return WRK_DIR / "requests.lua"
    interval_ms = 1000.0 * threads / rate  # each thread paces its own share of the rate
    path = workdir / f"paced-{rate:.0f}.lua"
    path.write_text(
        f"interval_ms = {interval_ms!r}\n" + base + "\n" + (WRK_DIR / "paced.lua").read_text()
    )
    return path


def run_wrk(
    base_url: str,
    paths_file: Path,
    *,
    duration: float,
    connections: int,
    threads: int = 1,
    rate: float | None = None,
    workdir: Path,
    headers: list[str] | None = None,
    script: str = "requests.lua",
) -> WrkResult:
    """`script`: a Lua script in bench/wrk reading `paths_file` (requests.lua: GET paths;
    writes.lua: "METHOD PATH BODY" lines). Pacing (`rate`) is for requests.lua only."""
    if not base_url.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:")):
        raise WrkFailed(f"refusing to load anything but loopback: {base_url}")
    lua = script_for(workdir, rate, threads) if script == "requests.lua" else WRK_DIR / script
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{max(connections, threads)}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "-s",
        str(lua),
    ]
    for header in headers or []:
        argv += ["-H", header]
    argv += [base_url, "--", str(paths_file)]
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration + 60, check=False,
        env={**os.environ, "LC_ALL": "C"},
    )  # fmt: skip
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise WrkFailed(
            f"wrk exited {proc.returncode}: {proc.stderr.strip()[-800:]} {proc.stdout[-800:]}"
        )
    data = json.loads(line.removeprefix("BENCH_JSON "))
    latency = data["latency_us"]
    duration_s = data["duration_us"] / 1e6
    return WrkResult(
        requests=data["requests"],
        duration_s=round(duration_s, 3),
        rps=round(data["requests"] / duration_s, 1) if duration_s else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        p999_ms=latency["p999"] / 1000,
        max_ms=latency["max"] / 1000,
        mean_ms=round(latency["mean"] / 1000, 3),
        bytes=data["bytes"],
        errors=data["errors"],
        connections=connections,
        threads=threads,
        target_rate=rate,
    )
