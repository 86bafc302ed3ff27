"""No PostgreSQL is left running by `make run` once the service stops (unless asked to
keep it), by a test session whether its tests pass or fail, or after `make stop`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.persistence.embedded import postmasters, stop_all
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """A directory of this module's own under .data (Unix socket paths must stay short),
    shared so that the servers in it are initialised once."""
    path = ROOT / ".data" / f"proc-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _nothing_left(data_dir: Path) -> Iterator[None]:
    try:
        yield
    finally:
        stop_all(data_dir)  # whatever a test asserted, the next one starts clean


def start_dev(data_dir: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    full_env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    full_env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "dev"],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0].decode(errors="replace")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail("`crs dev` did not become ready")


def stop_dev(proc: subprocess.Popen[bytes], sig: signal.Signals) -> str:
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=60)
    return output.decode(errors="replace")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_make_run_stops_its_postgres_when_the_service_stops(
    data_dir: Path, sig: signal.Signals
) -> None:
    proc, base = start_dev(data_dir)
    assert httpx.get(f"{base}/customers/DEMO-SCHEDULE/restrictions").json()["restricted"]
    assert len(postmasters(data_dir)) == 1
    output = stop_dev(proc, sig)
    assert postmasters(data_dir) == [], output
    assert "embedded PostgreSQL stopped" in output


def test_keep_embedded_postgres_keeps_it_and_make_stop_stops_it(data_dir: Path) -> None:
    proc, _ = start_dev(data_dir, KEEP_EMBEDDED_POSTGRES="true")
    output = stop_dev(proc, signal.SIGTERM)
    assert len(postmasters(data_dir)) == 1, output
    # What a crash leaves behind looks the same: a server nobody will stop.
    make = subprocess.run(
        ["make", "-s", "--no-print-directory", "stop", f"DATA_DIR={data_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert make.returncode == 0, make.stderr
    assert "stopped: 1" in make.stdout
    assert postmasters(data_dir) == []


def test_a_test_session_stops_every_server_it_started_pass_or_fail(
    data_dir: Path, tmp_path: Path
) -> None:
    # A session of its own, with this suite's conftest: one test passes and one fails,
    # each with a server of its own that it never stops (one the `make run` tests have
    # initialised already, when they ran first).
    (tmp_path / "test_child.py").write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from app.persistence.embedded import EmbeddedPostgres

            def test_passes():
                EmbeddedPostgres(Path({str(data_dir / "postgres")!r})).start()

            def test_fails():
                EmbeddedPostgres(Path({str(data_dir / "other")!r})).start()
                assert False, "a failing test"
            """
        )
    )
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_child.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "1 failed, 1 passed" in child.stdout, child.stdout + child.stderr
    assert (data_dir / "postgres" / "PG_VERSION").exists()
    assert (data_dir / "other" / "PG_VERSION").exists()
    assert postmasters(data_dir) == []
