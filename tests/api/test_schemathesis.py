"""Schemathesis over the whole committed spec, against the service as production serves it
(uvicorn, fast layer included) on a loopback port and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, _recreate

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(admin_url: str) -> Iterator[str]:
    from app.migrations import upgrade_to_head

    url = asyncio.run(_recreate(admin_url, "crs_fuzz"))
    upgrade_to_head(url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("service did not become ready")
    try:
        yield base
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
        # A 500 is caught by the checks; a crash of the process or an unhandled error shows here.
        assert b"Traceback" not in errors, errors.decode()[-3000:]


def test_whole_spec_holds_under_schemathesis(served: str, tmp_path: Path) -> None:
    st = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [
            str(st),
            "run",
            str(ROOT / "openapi" / "openapi.json"),
            "--url",
            served,
            "--checks",
            CHECKS,
            # The coverage phase is left out: schemathesis 4.32 crashes inside its own
            # generator on this spec (SystemError in AST construction), not on a response.
            "--phases",
            "examples,fuzzing,stateful",
            "--max-examples",
            os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "40"),
            "--workers",
            "2",
            "--suppress-health-check",
            "all",
            "--seed",
            "20261125",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
