"""Schema migrations, run as their own command (`crs migrate`), never by every replica."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

from alembic import command


def _root() -> Path:
    """Where alembic.ini and alembic/ are: the working directory (the container image's
    /app) or, from a source checkout, the project folder that holds `app/`."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / "alembic.ini").is_file() and (candidate / "alembic").is_dir():
            return candidate
    raise RuntimeError("alembic.ini not found: run migrations from the project folder")


def alembic_config(database_url: str) -> Config:
    root = _root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    """Blocking: call from a thread or a command, not from a running event loop."""
    command.upgrade(alembic_config(database_url), "head")


def schema_behind(revision: str | None) -> bool:
    """True when the database has not been migrated to this release's head. A revision
    this release does not know is newer (the next release migrated during a rolling
    upgrade); migrations are backwards compatible, so this release still serves."""
    script = ScriptDirectory.from_config(alembic_config(""))
    head = script.get_current_head()
    if revision == head:
        return False
    if revision is None:
        return True
    known = {r.revision for r in script.walk_revisions()}
    return revision in known


async def current_revision(connection: AsyncConnection) -> str | None:
    def _current(sync_connection: object) -> str | None:
        return MigrationContext.configure(sync_connection).get_current_revision()  # type: ignore[arg-type]

    return await connection.run_sync(_current)
