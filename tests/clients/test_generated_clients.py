"""Clients generated from the committed spec type-check a short usage file (issue 12,
"Done when"): openapi-python-client under mypy --strict, openapi-typescript under
tsc --strict. Needs the npm tools (`make lint-spec` installs them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

HERE = Path(__file__).parent
SPEC = ROOT / "openapi" / "openapi.json"
BIN = Path(sys.executable).parent
NODE_BIN = ROOT / "node_modules" / ".bin"


def _run(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_python_client_type_checks(tmp_path: Path) -> None:
    _run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(SPEC),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "contact_restrictions_client"),
        ],
        tmp_path,
    )
    shutil.copy(HERE / "usage_python.py", tmp_path / "usage.py")
    # The generator's own client.py trips over the installed httpx's stubs (its __exit__
    # forwarding), which says nothing about the spec: only the usage file is judged, with
    # every generated type it uses followed.
    _run(
        [
            str(BIN / "mypy"),
            "--strict",
            "--follow-imports=silent",
            "--no-incremental",
            "--config-file",
            "/dev/null",
            "usage.py",
        ],
        tmp_path,
    )


@pytest.mark.skipif(not (NODE_BIN / "tsc").exists(), reason="run `make lint-spec` (npm ci) first")
def test_typescript_types_type_check(tmp_path: Path) -> None:
    _run(
        [
            str(NODE_BIN / "openapi-typescript"),
            str(SPEC),
            "--output",
            str(tmp_path / "schema.d.ts"),
        ],
        tmp_path,
    )
    shutil.copy(HERE / "usage.ts", tmp_path / "usage.ts")
    _run(
        [
            str(NODE_BIN / "tsc"),
            "--strict",
            "--noEmit",
            "--target",
            "es2020",
            "--module",
            "esnext",
            "--moduleResolution",
            "bundler",
            "usage.ts",
        ],
        tmp_path,
    )
