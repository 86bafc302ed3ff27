"""The operators' command line: `crs migrate | serve | seed-demo | export-openapi | dev |
dev-token`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from app.settings import Settings, get_settings

if TYPE_CHECKING:
    from app.domain.policy.profile import PolicyProfile
    from app.identity.dev_issuer import DevIssuer

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
    _require_identity_provider(_settings())
    _require_sealing_key(_settings())
    _database_url()
    _serve()


def _require_sealing_key(settings: Settings) -> None:
    """Webhook signing secrets are kept sealed (app/webhooks/secret_box.py): without a key
    they would sit in the database as they are, for anyone with a dump to forge events."""
    from app.settings import decode_sealing_key
    from app.webhooks.secret_box import DEV_KEY

    keys = settings.sealing_keys()
    if not keys:
        typer.echo(
            "crs serve will not start without WEBHOOK_SECRETS_KEYS: the key that seals the "
            "webhook signing secrets at rest. Make one with `crs new-secrets-key` and keep it "
            "in a secret store, apart from the database (README: Configuration).",
            err=True,
        )
        raise typer.Exit(2)
    if decode_sealing_key(DEV_KEY) in keys:
        typer.echo(
            "crs serve will not start with make run's development key in "
            "WEBHOOK_SECRETS_KEYS: it is public. Make one with `crs new-secrets-key`.",
            err=True,
        )
        raise typer.Exit(2)


@app.command("new-secrets-key")
def new_secrets_key() -> None:
    """Print a fresh key for WEBHOOK_SECRETS_KEYS."""
    from app.webhooks.secret_box import new_key

    typer.echo(new_key())


@app.command("seal-webhook-secrets")
def seal_webhook_secrets() -> None:
    """Seal every stored webhook secret with the first key of WEBHOOK_SECRETS_KEYS (those
    stored before sealing, or under an older key still listed after it)."""
    _rewrite_secrets(unseal=False)


@app.command("unseal-webhook-secrets")
def unseal_webhook_secrets() -> None:
    """Store every webhook secret opened again, in plain text: only before rolling back to a
    release older than sealing (chart 0.4.0), which would sign with the sealed text."""
    _rewrite_secrets(unseal=True)


def _rewrite_secrets(*, unseal: bool) -> None:
    settings = _settings()
    if not settings.sealing_keys():
        typer.echo(
            f"WEBHOOK_SECRETS_KEYS is not set: nothing to {'open' if unseal else 'seal'} with.",
            err=True,
        )
        raise typer.Exit(2)
    rewritten, unopened = asyncio.run(_rewrite(_database_url(), settings, unseal))
    typer.echo(f"secrets {'opened' if unseal else 'sealed anew'}: {rewritten}")
    if unopened:
        typer.echo(
            f"{len(unopened)} subscription(s) have a secret no configured key opens, left as "
            "they are (add the key they were sealed with, or rotate their secret): "
            + ", ".join(str(endpoint) for endpoint in unopened),
            err=True,
        )
        raise typer.Exit(1)


async def _rewrite(url: str, settings: Settings, unseal: bool) -> tuple[int, list[Any]]:
    from app.persistence.db import Database
    from app.webhooks.secret_box import SecretBox
    from app.webhooks.subscriptions import reseal_all

    database = Database.open(url, settings)
    try:
        async with database.sessions() as session, session.begin():
            box = SecretBox(settings.sealing_keys())
            return await reseal_all(session, box, unseal=unseal)
    finally:
        await database.close()


def _require_identity_provider(settings: Settings) -> None:
    """Every request needs a token verified against the council's provider, so there is no
    point starting without one; the development issuer's audience is refused too, so a
    production instance can never trust tokens `make run` or `crs dev-token` minted."""
    from app.identity.dev_issuer import DEV_AUDIENCE

    if settings.oidc_issuer is None or settings.oidc_audience is None:
        typer.echo(
            "crs serve needs an identity provider and will not start without one: set "
            "OIDC_ISSUER (the issuer every bearer token must name, e.g. "
            "https://login.microsoftonline.com/<tenant>/v2.0) and OIDC_AUDIENCE (the audience "
            "the provider puts in tokens for this service), with OIDC_PROVIDER and "
            "OIDC_ROLE_MAP to read the caller's roles (README: Configuration). For local use, "
            "`make run` starts a development issuer and prints a token for each role.",
            err=True,
        )
        raise typer.Exit(2)
    if settings.oidc_audience == DEV_AUDIENCE:
        typer.echo(
            f"crs serve will not start with OIDC_AUDIENCE={DEV_AUDIENCE}: that is the audience "
            "of the local development issuer's tokens (`make run`, `crs dev-token`), which "
            "must never be trusted outside development. Set OIDC_ISSUER and OIDC_AUDIENCE to "
            "the council's identity provider.",
            err=True,
        )
        raise typer.Exit(2)


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
    """`make run`: a local PostgreSQL (embedded, unless DATABASE_URL is set), a local token
    issuer (unless OIDC_ISSUER is set), migrations, demo data, and the service with its docs
    on :8000."""
    import os

    from app.persistence.embedded import start_local_database, stop_started
    from app.persistence.migrations import upgrade_to_head

    # Development only: webhooks to a receiver on this machine, over http
    # (examples/webhook_receiver.py). `crs serve` keeps both refusals.
    os.environ.setdefault("WEBHOOK_REQUIRE_HTTPS", "false")
    os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    # And a token pasted into /docs survives a reload (never in production: settings.py).
    os.environ.setdefault("DOCS_PERSIST_AUTHORIZATION", "true")
    # Webhook secrets sealed with a public key that `crs serve` refuses.
    from app.webhooks.secret_box import DEV_KEY

    os.environ.setdefault("WEBHOOK_SECRETS_KEYS", DEV_KEY)
    get_settings.cache_clear()
    settings = _settings()
    url = settings.database_url
    issuer: DevIssuer | None = None
    with _stopped_on_sigterm():
        try:
            if settings.oidc_issuer is None:
                issuer = _start_dev_issuer(settings)
            else:
                typer.echo(f"OIDC_ISSUER is set: tokens from {settings.oidc_issuer}")
            if not url:
                url = start_local_database(settings.data_dir)
                os.environ["DATABASE_URL"] = url
                get_settings.cache_clear()
                typer.echo(f"embedded PostgreSQL, data in {settings.data_dir / 'postgres'}")
            upgrade_to_head(url)
            typer.echo(f"demo markers added: {asyncio.run(_seed(url))}")
            if issuer is not None:
                _print_dev_tokens(issuer, settings)
            typer.echo(f"docs: http://localhost:{settings.port}/docs")
            _serve()
        except KeyboardInterrupt:
            pass
        finally:
            if issuer is not None:
                issuer.stop()
                typer.echo("local token issuer stopped")
            if not settings.keep_embedded_postgres:
                if stop_started():
                    typer.echo("embedded PostgreSQL stopped")
            elif not settings.database_url:
                typer.echo("embedded PostgreSQL left running (KEEP_EMBEDDED_POSTGRES): make stop")


def _start_dev_issuer(settings: Settings) -> DevIssuer:
    """The local issuer on loopback, and the service pointed at it through the same settings
    production uses: its tokens pass or fail the very checks a council's provider's do."""
    import os

    from app.domain.policy.profile import load_profile
    from app.identity.dev_issuer import DEV_AUDIENCE, DevIssuer, DevIssuerError

    try:
        issuer = DevIssuer(settings.data_dir, settings.dev_issuer_port)
        issuer.start()
    except DevIssuerError as error:
        typer.echo(f"Cannot start: {error}", err=True)
        raise typer.Exit(2) from None
    # The profile's own roles only: the service refuses a role map naming any other.
    roles = sorted(load_profile(settings.policy_profile).access.roles)
    os.environ["OIDC_ISSUER"] = issuer.issuer
    os.environ["OIDC_AUDIENCE"] = DEV_AUDIENCE
    os.environ["OIDC_PROVIDER"] = "generic"
    # A key-set URL or algorithm list left in `.env` for another provider would make the
    # service refuse every token this issuer signs.
    os.environ["OIDC_JWKS_URL"] = ""
    os.environ["OIDC_ALGORITHMS"] = "RS256"
    os.environ["OIDC_ROLE_MAP"] = json.dumps({role: role for role in roles})
    get_settings.cache_clear()
    typer.echo(f"local token issuer (development only): {issuer.issuer}")
    return issuer


def _print_dev_tokens(issuer: DevIssuer, settings: Settings) -> None:
    from app.domain.policy.profile import load_profile
    from app.identity.dev_issuer import DEFAULT_TTL_SECONDS, dev_roles

    profile = load_profile(settings.policy_profile)
    typer.echo(
        f"tokens for the {profile.name.value} profile, one per role, valid "
        f"{DEFAULT_TTL_SECONDS // 3600} h (more: crs dev-token --role ROLE):"
    )
    for role in dev_roles(profile):
        typer.echo(f"{role} {_mint_for_role(issuer, profile, [role])}")
    typer.echo(
        'use one: TOKEN=<a token above>; curl -H "Authorization: Bearer $TOKEN" '
        f"http://localhost:{settings.port}/customers/DEMO-SCHEDULE/restrictions "
        "(in /docs: Authorize, then paste the token)"
    )


def _mint_for_role(
    issuer: DevIssuer,
    profile: PolicyProfile,
    roles: list[str],
    *,
    subject: str | None = None,
    name: str | None = None,
    ttl: int | None = None,
) -> str:
    """A member of staff's token names the CRM as its client; a machine role's token is the
    application's own (`sub` = `client_id`), as a client-credentials grant gives."""
    from app.identity.dev_issuer import DEFAULT_TTL_SECONDS, DEV_CLIENT_ID, machine_role

    subject = subject or f"dev-{roles[0].replace('_', '-')}"
    if name is None:
        name = "Dev " + " ".join(roles[0].split("_")).capitalize()
    application = all(machine_role(profile, role) for role in roles)
    return issuer.mint(
        roles,
        subject=subject,
        name=name,
        ttl=ttl or DEFAULT_TTL_SECONDS,
        client_id=subject if application else DEV_CLIENT_ID,
    )


@app.command("dev-token")
def dev_token(
    role: Annotated[
        list[str],
        typer.Option(help="A role of the policy profile (repeat for several)."),
    ],
    subject: Annotated[
        str | None, typer.Option(help="The token's `sub` (default: dev-<role>).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="The display name (`name` claim).")] = None,
    ttl: Annotated[int, typer.Option(min=60, max=7 * 86_400, help="Seconds until it expires.")] = 12
    * 3600,
) -> None:
    """Print a token from the local development issuer, for a running `make run` (same
    DATA_DIR, DEV_ISSUER_PORT and POLICY_PROFILE)."""
    from app.domain.policy.profile import load_profile
    from app.identity.dev_issuer import DevIssuer, DevIssuerError, dev_roles

    settings = _settings()
    profile = load_profile(settings.policy_profile)
    known = dev_roles(profile)
    unknown = [r for r in role if r not in known]
    if unknown:
        typer.echo(
            f"Unknown role {unknown[0]!r}: the {profile.name.value} profile's roles are "
            + ", ".join(known),
            err=True,
        )
        raise typer.Exit(2)
    try:
        issuer = DevIssuer(settings.data_dir, settings.dev_issuer_port)
    except DevIssuerError as error:
        typer.echo(f"Cannot sign: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(_mint_for_role(issuer, profile, role, subject=subject, name=name, ttl=ttl))


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
