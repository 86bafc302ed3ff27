"""The application factory: routers, error handlers, docs, and the lifespan that opens
the database, starts the change feed and loads the snapshot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp

from app.access.router import router as access_router
from app.appeals.router import router as appeals_router
from app.auth import Gate
from app.decisions.router import router as decisions_router
from app.domain.lifecycle.policy import load_lifecycle, with_lapse
from app.domain.policy.profile import PolicyProfile, load_profile
from app.domain.time.clock import utcnow
from app.events.router import router as events_router
from app.identity import Authenticator, IdentityConfig
from app.incidents.router import router as incidents_router
from app.observability.metrics import Metrics
from app.observability.requests import RequestContext
from app.observability.tracing import configure_tracing
from app.operations.health import router as health_router
from app.persistence.db import Database, asyncpg_dsn
from app.reads import answers
from app.reads.contract import UNLOGGED_ROUTES
from app.reads.fastpath import FastReads
from app.reads.router import router as checks_router
from app.restrictions.router import router as restrictions_router
from app.reviews.router import router as reviews_router
from app.settings import Settings, get_settings
from app.snapshot.listener import ChangeFeed
from app.snapshot.read_model import ReadModel
from app.snapshot.state import Snapshot
from app.web import problem_handlers
from app.web.bodylimit import BodyLimit
from app.web.http_edges import HeadAsGet, SafeHeaders, with_cors
from app.web.idempotency import Idempotency
from app.web.openapi import build_openapi
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.router import router as webhooks_router
from app.webhooks.secret_box import SecretBox

log = logging.getLogger(__name__)

DESCRIPTION = """
Answers the question UK councils' CRMs and telephone systems ask before every contact:
**is this customer under a contact restriction, and may this contact happen now, on this
channel?** It records restriction markers under the council's Managing Customer Contact
policy (Flintshire or Wrexham profile) and answers the two reads from memory.

Times are ISO 8601 with offset, stored in UTC and shown in Europe/London. Every error is
`application/problem+json` (RFC 9457).
"""

TAGS = [
    {"name": "Contact checks", "description": "The reads every CRM and telephony flow calls."},
    {"name": "Restrictions", "description": "Recording markers: impose, vary, lift, history."},
    {"name": "Incidents", "description": "What happened: recorded by staff, read back."},
    {
        "name": "Decisions",
        "description": "The escalation ladder, step by step, and the customer's case file.",
    },
    {
        "name": "Reviews",
        "description": "Reviewing formal decisions, and the worklist of reviews due and overdue.",
    },
    {
        "name": "Access",
        "description": "The dry run: may these roles take this action? Nothing is changed.",
    },
    {
        "name": "Events",
        "description": "What changed, as CloudEvents: the feed to poll, and signed webhooks "
        "to subscribe to (admin).",
    },
    {"name": "Operations", "description": "Liveness and readiness."},
]


class MissingDatabaseURL(RuntimeError):
    pass


class InvalidRoleMap(ValueError):
    pass


def _check_role_map(identity: IdentityConfig, profile: PolicyProfile) -> None:
    """A provider role mapped to a name the profile does not declare would grant nothing,
    silently: refused at start instead."""
    unknown = sorted(set(identity.role_map.values()) - profile.access.roles)
    if unknown:
        raise InvalidRoleMap(
            f"OIDC_ROLE_MAP maps to {', '.join(unknown)}, which the {profile.name.value} "
            f"profile does not declare; its roles are {', '.join(sorted(profile.access.roles))}"
        )


def create_app(
    settings: Settings | None = None,
    database_url: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    settings = settings or get_settings()
    url = database_url or settings.database_url
    if not url:
        raise MissingDatabaseURL(
            "DATABASE_URL is not set: point it at PostgreSQL, or use `make run` for a local one"
        )
    profile = load_profile(settings.policy_profile)
    metrics = Metrics()
    identity = IdentityConfig.from_settings(settings)
    if identity is not None:
        _check_role_map(identity, profile)
    gate = Gate(profile, Authenticator(identity) if identity is not None else None)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        snapshot = Snapshot(stale_after=_seconds(settings.stale_after_seconds))
        database = Database.open(url, settings)
        dsn = asyncpg_dsn(url)
        feed = ChangeFeed(
            snapshot,
            dsn,
            settings.db_connect_timeout_seconds,
            settings.heartbeat_interval_seconds,
            on_reload=metrics.snapshot_reload.observe,
            prepare=answers.warm,
            clock=clock,
        )
        reads = ReadModel(
            snapshot,
            dsn,
            settings.db_connect_timeout_seconds,
            settings.db_pool_size,
            settings.read_db_budget_seconds,
        )
        app.state.snapshot, app.state.database, app.state.reads = snapshot, database, reads
        app.state.feed = feed
        feed.start()
        dispatcher = Dispatcher(
            database, dsn, settings, app.state.event_source, metrics, clock=clock
        )
        app.state.dispatcher = dispatcher
        if settings.dispatcher_enabled:
            dispatcher.start()
        if gate.authenticator is None:
            log.error("no identity provider is configured (OIDC_ISSUER): every request refused")
        else:
            # Bounded by OIDC_FETCH_TIMEOUT_SECONDS; a provider down at start is retried in
            # the background, and readiness says so meanwhile.
            await gate.authenticator.start()
        with contextlib.suppress(TimeoutError):
            # Serve from a loaded snapshot when the database is there; if it is not, start
            # anyway: reads answer 503 until it returns, and readiness says so.
            await asyncio.wait_for(feed.first_attempt.wait(), timeout=120)
        try:
            yield
        finally:
            if gate.authenticator is not None:
                await gate.authenticator.aclose()
            await dispatcher.stop()
            await feed.stop()
            await reads.close()
            await database.close()

    app = FastAPIOffline(
        title="Contact restrictions",
        version="0.1.0",
        summary="May we contact this customer now, on this channel?",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": settings.docs_persist_authorization},
        lifespan=lifespan,
        # Operation ids are the route functions' names (impose_marker, contact_check...).
        generate_unique_id_function=lambda route: route.name,
        # A slash-redirect's Location is built from the request's Host header, whatever
        # host that names: a path with a trailing slash is simply not found.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.profile = profile
    app.state.lifecycle = with_lapse(load_lifecycle(profile.name), settings.lapse_override)
    app.state.gate = gate
    app.state.secret_box = SecretBox(settings.sealing_keys())
    app.state.clock = clock
    app.state.event_source = (
        settings.event_source or f"urn:contact-restrictions:{profile.name.value}"
    )
    problem_handlers.install(app)
    app.include_router(checks_router)
    app.include_router(restrictions_router)
    app.include_router(incidents_router)
    app.include_router(decisions_router)
    app.include_router(appeals_router)
    app.include_router(reviews_router)
    app.include_router(access_router)
    app.include_router(events_router)
    app.include_router(webhooks_router)
    app.include_router(health_router)
    app.add_api_route("/metrics", _metrics_endpoint, include_in_schema=False)
    configure_tracing(app)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)


async def _metrics_endpoint(request: Request) -> Response:
    state = request.app.state
    metrics: Metrics = state.metrics
    metrics.sample(state.snapshot, state.database, state.reads, state.clock())
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def build_asgi(app: FastAPI) -> ASGIApp:
    """The app as served, from the outside in: HEAD as GET without the body; CORS when
    origins are configured; the fast reads (they answer the two hot GETs whole, with
    their own headers); the common headers; request id and metrics; the body limit;
    Idempotency-Key on POST; and FastAPI for everything else."""
    settings: Settings = app.state.settings
    keyed = Idempotency(app, lambda: app.state)
    body_limit = BodyLimit(keyed, settings.max_body_bytes, settings.body_read_timeout_seconds)
    rest = SafeHeaders(RequestContext(body_limit, app.state.metrics, UNLOGGED_ROUTES))
    # Behind CORS, the answers go through CORS's own send (it adds its headers to them).
    fast = FastReads(rest, lambda: app.state, whole=not settings.cors_allow_origins)
    return HeadAsGet(with_cors(fast, settings.cors_allow_origins))
