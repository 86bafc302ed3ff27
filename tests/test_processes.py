"""No PostgreSQL is left running by `make run` once the service stops (unless asked to
keep it), by a test session whether its tests pass or fail, or after `make stop`; `make run`
prints a token for each role of its profile, and stops its local issuer too."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from app.domain.policy.profile import load_profile
from app.domain.vocabulary import PolicyProfileName
from app.identity.dev_issuer import dev_roles
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


@dataclass
class DevRun:
    """A running `crs dev`: its output is read as it comes, so the tokens it prints at start
    can be used while it serves."""

    proc: subprocess.Popen[str]
    base: str
    issuer_port: int
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def tokens(self) -> dict[str, str]:
        """`role token` lines, as `crs dev` prints them for each role of the profile."""
        found: dict[str, str] = {}
        for line in list(self.lines):
            parts = line.split()
            if len(parts) == 2 and parts[1].startswith("eyJ") and parts[1].count(".") == 2:
                found[parts[0]] = parts[1]
        return found


def start_dev(data_dir: Path, **env: str) -> DevRun:
    port = free_port()
    issuer_port = free_port()
    full_env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("OIDC_")},
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DEV_ISSUER_PORT": str(issuer_port),
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
        text=True,
        errors="replace",
    )
    run = DevRun(proc, f"http://127.0.0.1:{port}", issuer_port)
    run.reader = threading.Thread(target=run.read, daemon=True)
    run.reader.start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            run.reader.join(10)
            pytest.fail(f"`crs dev` ended early:\n{run.output}")
        try:
            ready = httpx.get(f"{run.base}/readyz", timeout=2).status_code == 200
            # The tokens are printed before the docs line, and both before the service
            # serves; the reader thread may just not have caught up yet.
            if ready and "docs: http" in run.output:
                return run
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail("`crs dev` did not become ready")


def stop_dev(run: DevRun, sig: signal.Signals) -> str:
    run.proc.send_signal(sig)
    run.proc.wait(timeout=60)
    if run.reader is not None:
        run.reader.join(10)
    return run.output


def listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_make_run_stops_its_postgres_when_the_service_stops(
    data_dir: Path, sig: signal.Signals
) -> None:
    run = start_dev(data_dir)
    tokens = run.tokens()
    assert list(tokens) == list(dev_roles(load_profile(PolicyProfileName.FLINTSHIRE))), run.output
    assert 'curl -H "Authorization: Bearer $TOKEN"' in run.output
    answer = httpx.get(
        f"{run.base}/customers/DEMO-SCHEDULE/restrictions",
        headers={"Authorization": f"Bearer {tokens['employee']}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["restricted"]
    assert len(postmasters(data_dir)) == 1
    assert listening(run.issuer_port)
    output = stop_dev(run, sig)
    assert postmasters(data_dir) == [], output
    assert "embedded PostgreSQL stopped" in output
    assert not listening(run.issuer_port), output
    assert "local token issuer stopped" in output


def test_keep_embedded_postgres_keeps_it_and_make_stop_stops_it(data_dir: Path) -> None:
    run = start_dev(data_dir, KEEP_EMBEDDED_POSTGRES="true", POLICY_PROFILE="wrexham")
    # Each profile's own roles.
    assert list(run.tokens()) == list(dev_roles(load_profile(PolicyProfileName.WREXHAM)))
    output = stop_dev(run, signal.SIGTERM)
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
