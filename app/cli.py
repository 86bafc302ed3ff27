"""The operators' command line: `crs migrate | serve | seed-demo | export-openapi | dev`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from app.settings import Settings, get_settings

app = typer.Typer(help="Contact restrictions service.", no_args_is_help=True)

OPENAPI_PATH = Path("openapi/openapi.json")


def _settings() -> Settings:

    try:
        return get_settings()
    except ValidationError as error:
        # A bad setting stops start-up with its name and what is wrong.
        for fault in error.errors():
            name = ".".join(str(p) for p in fault["loc"]).upper()
            typer.echo(f"Setting {name} is not valid: {fault['msg']}", err=True)
        raise typer.Exit(2) from None


def _database_url() -> str:
    url = _settings().database_url
    if not url:
        typer.echo("Setting DATABASE_URL is not set: give a postgresql:// URL.", err=True)
        raise typer.Exit(2)
    return str(url)


@app.command()
def migrate() -> None:
    """Migrate the database schema to this release's head (run once per release)."""
    from app.persistence.migrations import upgrade_to_head

    upgrade_to_head(_database_url())
    typer.echo("database schema at head")


@app.command("seed-demo")
def seed_demo() -> None:
    """Add the demo customers and markers (idempotent)."""
    typer.echo(f"demo markers added: {asyncio.run(_seed(_database_url()))}")


async def _seed(url: str) -> int:
    from app.demo import seed_demo as seed
    from app.domain.policy.profile import load_profile
    from app.persistence.db import Database

    settings = _settings()
    database = Database.open(url, settings)
    try:
        return await seed(database, load_profile(settings.policy_profile))
    finally:
        await database.close()


@app.command()
def serve() -> None:
    """Serve the API with uvicorn (workers from WEB_CONCURRENCY)."""
    _database_url()
    _serve()


def _serve() -> None:
    import uvicorn

    from app.logs import configure_logging
    from app.web.http_edges import UVICORN_OPTIONS

    settings = _settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "app.asgi:app",
        host=settings.host,
        port=settings.port,
        workers=settings.web_concurrency,
        loop="uvloop",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=20,
        **UVICORN_OPTIONS,
    )


@app.command("export-openapi")
def export_openapi(path: Path = OPENAPI_PATH) -> None:
    """Write the OpenAPI document generated from the app."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openapi_text(), encoding="utf-8")
    typer.echo(f"wrote {path}")


def openapi_text() -> str:
    from app.main import create_app

    document = create_app(database_url="postgresql://unused@/unused").openapi()
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


@app.command()
def dev() -> None:
    """`make run`: a local PostgreSQL (embedded, unless DATABASE_URL is set), migrations,
    demo data, and the service with its docs on :8000."""
    import os

    from app.persistence.embedded import start_local_database, stop_started
    from app.persistence.migrations import upgrade_to_head

    settings = _settings()
    url = settings.database_url
    with _stopped_on_sigterm():
        try:
            if not url:
                url = start_local_database(settings.data_dir)
                os.environ["DATABASE_URL"] = url
                get_settings.cache_clear()
                typer.echo(f"embedded PostgreSQL, data in {settings.data_dir / 'postgres'}")
            upgrade_to_head(url)
            typer.echo(f"demo markers added: {asyncio.run(_seed(url))}")
            typer.echo(f"docs: http://localhost:{settings.port}/docs")
            _serve()
        except KeyboardInterrupt:
            pass
        finally:
            if not settings.keep_embedded_postgres:
                if stop_started():
                    typer.echo("embedded PostgreSQL stopped")
            elif not settings.database_url:
                typer.echo("embedded PostgreSQL left running (KEEP_EMBEDDED_POSTGRES): make stop")


@contextlib.contextmanager
def _stopped_on_sigterm() -> Iterator[None]:
    """SIGTERM's default action ends the process at once, skipping every `finally`; as an
    exception it unwinds like Ctrl-C. uvicorn installs its own handler while it serves and,
    once it has shut down, raises the signal again, which lands here."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command("stop-embedded")
def stop_embedded(
    directories: Annotated[
        list[Path] | None, typer.Argument(help="Where to look (default: DATA_DIR and .data).")
    ] = None,
) -> None:
    """Stop every embedded PostgreSQL whose data is under the given directories (what a
    crash of `make run` or of the tests left running)."""
    from app.persistence.embedded import stop_all

    roots = directories or [_settings().data_dir, Path(".data")]
    stopped = sum(stop_all(root) for root in dict.fromkeys(r.resolve() for r in roots))
    typer.echo(f"embedded PostgreSQL servers stopped: {stopped}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
