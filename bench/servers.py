"""Start a server under test in its own process group, wait until it is ready, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.webhooks.secret_box import new_key

ROOT = Path(__file__).resolve().parent.parent


class ServerFailed(RuntimeError):
    pass


@dataclass
class Running:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    ready_seconds: float = 0.0
    rss_mb: dict[str, float] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise ServerFailed(f"{self.name} exited with {self.proc.returncode}:\n{tail(self.log)}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def serve(
    name: str,
    module: str,
    *,
    env: dict[str, str],
    log: Path,
    ready_path: str = "/readyz",
    ready_timeout: float = 180.0,
) -> Iterator[Running]:
    """Run `python -m <module> [serve]` as production does (PORT, WEB_CONCURRENCY, LOG_LEVEL
    from the environment) and yield once `ready_path` answers 200."""
    port = free_port()
    full_env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": os.environ.get("BENCH_WORKERS", "1"),
        "LOG_LEVEL": "WARNING",
        # `crs serve` needs a key to seal webhook secrets with: a fresh one per run.
        "WEBHOOK_SECRETS_KEYS": os.environ.get("WEBHOOK_SECRETS_KEYS") or new_key(),
        **env,
    }
    argv = [sys.executable, "-m", module]
    if module == "app.cli":
        argv.append("serve")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    running = Running(name, proc, port, log)
    try:
        started = time.monotonic()
        _wait_ready(running, ready_path, ready_timeout)
        running.ready_seconds = time.monotonic() - started
        running.rss_mb["ready"] = rss_mb(proc.pid)
        yield running
        running.rss_mb["end"] = rss_mb(proc.pid)
    finally:
        stop(running)


def _wait_ready(running: Running, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(base_url=running.base_url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            running.check_alive()
            try:
                response = client.get(path)
                # The service prepares its answers in the background after a load; the
                # bench measures the steady state, so it waits for that too.
                if response.status_code == 200 and response.json().get("answers_prepared", True):
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as error:
                last = repr(error)
            time.sleep(0.25)
    raise ServerFailed(
        f"{running.name} not ready after {timeout:.0f}s (last: {last}):\n{tail(running.log)}"
    )


def stop(running: Running) -> None:
    """SIGTERM the server's own process group (uvicorn and its workers), then SIGKILL."""
    proc = running.proc
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # A worker can outlive its parent for a moment. While any member of the group is alive
    # its id cannot be reused, so whatever is still in it is ours.
    for pid in group_members(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[2]) == pgid:
                members.append(int(entry.name))
    return members


def rss_mb(pgid: int) -> float:
    """Resident memory of every process in the server's process group, in MiB."""
    total_kb = 0
    for pid in group_members(pgid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return round(total_kb / 1024, 1)


_TICK = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the live processes of a process group."""
    total = 0
    for pid in group_members(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def machine_cpu_seconds() -> dict[str, float]:
    """CPU time of all cores since boot (/proc/stat): by processes, by the kernel's interrupt
    handling (loopback networking is mostly softirq), and stolen by the hypervisor."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return {
        "tasks": (user + nice + system) / _TICK,
        "irq": (irq + softirq) / _TICK,
        "steal": steal / _TICK,
    }


class CpuMeter:
    """Where the CPUs went during a measurement, in cores: the server, the load generator
    (children of this process, once reaped), this harness, interrupt handling, time stolen by
    the hypervisor, and every other process on the machine (noise, reported as such)."""

    def __init__(self, server_pgid: int) -> None:
        self.pgid = server_pgid
        self.cores: dict[str, float] = {}

    def _read(self) -> tuple[float, float, float, float, dict[str, float]]:
        return (
            time.monotonic(),
            group_cpu_seconds(self.pgid),
            _children_cpu(),
            _self_cpu(),
            machine_cpu_seconds(),
        )

    def __enter__(self) -> CpuMeter:
        self.start = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._read()
        wall, server, children, mine = (end[i] - self.start[i] for i in range(4))
        machine = {k: end[4][k] - self.start[4][k] for k in end[4]}
        other = machine["tasks"] - server - children - mine
        self.cores = {
            "server": round(server / wall, 2),
            "load_generator": round(children / wall, 2),
            "harness": round(mine / wall, 2),
            "interrupts": round(machine["irq"] / wall, 2),
            "steal": round(machine["steal"] / wall, 2),
            "other": round(max(0.0, other) / wall, 2),
        }

    @property
    def noise(self) -> float:
        return self.cores.get("other", 0.0) + self.cores.get("steal", 0.0)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
