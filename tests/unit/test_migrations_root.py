"""Migrations find alembic.ini and alembic/ from the package itself, whatever the working
directory: `crs migrate` run from elsewhere (a Job, a shell in another folder) still works."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.persistence.migrations import alembic_config

ROOT = Path(__file__).resolve().parents[2]


def test_alembic_is_found_from_another_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = alembic_config("postgresql://unused@/unused")
    assert Path(config.config_file_name or "") == ROOT / "alembic.ini"
    assert config.get_main_option("script_location") == str(ROOT / "alembic")
