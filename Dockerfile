# syntax=docker/dockerfile:1
#
# contact-restrictions service image.
#
#   docker build -t contact-restrictions:0.1.0 .
#   docker run --rm -p 8000:8000 -e DATABASE_URL=postgresql://... contact-restrictions:0.1.0
#   docker run --rm -e DATABASE_URL=postgresql://... contact-restrictions:0.1.0 crs migrate
#
# The default command serves HTTP only. Migrations are a separate, explicit
# step (`crs migrate`, run by the Helm pre-install/pre-upgrade Job) and are
# never run by each replica at start-up.
#
# Base images are pinned by tag; for production builds pin them by digest as
# well (python:3.11-slim-bookworm@sha256:...).

############################
# Builder: resolve and install the locked runtime dependencies into /app/.venv
############################
FROM python:3.11-slim-bookworm AS builder

# uv is pinned so builds are reproducible; it never reaches the final image.
RUN pip install --no-cache-dir uv==0.13.9

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# 1. Dependencies only (cached until pyproject.toml or uv.lock change).
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --extra otel --no-install-project

# 2. The project itself, installed as a regular (non-editable) package.
#    README.md is the readme named in pyproject.toml (package metadata).
COPY README.md ./
COPY app ./app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --extra otel

############################
# Runtime: no compilers, no uv, no pip cache, non-root
############################
FROM python:3.11-slim-bookworm AS runtime

# Fixed numeric UID/GID 10001: the Helm chart's securityContext relies on it.
RUN groupadd --system --gid 10001 crs \
 && useradd --system --uid 10001 --gid crs --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin crs

# PYTHONPATH=/app: import the app/ copied next to alembic.ini and alembic/
# (app.persistence.migrations finds them relative to the package), also from the `crs`
# console script, whose sys.path would otherwise hold only site-packages.
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000

WORKDIR /app

# Files stay owned by root: the app user can read but not modify its own
# code. The app writes only to /tmp (an emptyDir in Kubernetes).
COPY --from=builder /app/.venv /app/.venv
COPY app ./app
COPY alembic ./alembic
COPY alembic.ini ./alembic.ini
# Byte-compile at build time: the root filesystem is read-only at run time.
RUN python -m compileall -q /app/app /app/alembic

EXPOSE 8000

# Liveness only (is the process answering?). Readiness is /readyz, used by
# the orchestrator. slim images have no curl, so use the interpreter.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request, sys; r = urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4); sys.exit(0 if r.status == 200 else 1)"]

USER 10001:10001

CMD ["crs", "serve"]
