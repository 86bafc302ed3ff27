"""Which database faults mean the database cannot serve now (a 503 the caller may retry),
as against a fault in what was sent (a bug): the one classification the writes, the
readiness probe and the problem handlers share."""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATEs that say the server cannot serve now, not that the request was wrong:
# 08 connection exceptions, 53 insufficient resources (too many connections), 57P01-03
# admin/crash shutdown and "cannot connect now" (starting or stopping), 57014 a statement
# cancelled by statement_timeout (a hung or overloaded server), 55P03 lock timeout.
_UNAVAILABLE_STATES = ("08", "53", "57P01", "57P02", "57P03", "57014", "55P03")


# Driver faults that mean the connection, not the request, is broken (e.g. a protocol
# state left inconsistent by a server that went away mid-statement).
_BROKEN_CONNECTION = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def _broken_connection(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, _BROKEN_CONNECTION):
            return True
        error = error.__cause__
    return False


def _sqlstate(error: BaseException | None) -> str | None:
    while error is not None:
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(state, str):
            return state
        error = error.__cause__
    return None


def unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or cannot serve now (503), as against a fault in
    what was sent (a bug)."""
    if isinstance(exc, OSError | TimeoutError | OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        if exc.connection_invalidated or _broken_connection(orig):
            return True
        if "connection" in type(orig).__name__.lower():
            return True
        state = _sqlstate(orig)
        return state is not None and state.startswith(_UNAVAILABLE_STATES)
    state = _sqlstate(exc)
    return state is not None and state.startswith(_UNAVAILABLE_STATES)
