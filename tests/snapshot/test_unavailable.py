"""Which database faults are "unavailable" (503 with Retry-After) rather than a bug (500):
the exceptions as SQLAlchemy raises them from asyncpg (issue 12: the pool's own timeout
and 57P03 both answered 500)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.persistence.faults import unavailable

DBAPI = AsyncAdapt_asyncpg_dbapi(asyncpg)


def _as_sqlalchemy(error: Exception) -> DBAPIError:
    """Wrapped the way the asyncpg dialect wraps a driver error."""
    for cls in type(error).__mro__:
        if cls in DBAPI._asyncpg_error_translate:
            translated = DBAPI._asyncpg_error_translate[cls](str(error), error)
            translated.__cause__ = error
            return DBAPIError.instance("SELECT 1", {}, translated, DBAPI.Error)
    raise AssertionError(type(error))


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.InternalClientError("cannot switch to state 12; another operation is in progress"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    ],
)
def test_server_and_connection_faults_are_unavailable(error: Exception) -> None:
    assert unavailable(_as_sqlalchemy(error))


def test_pool_timeout_is_unavailable() -> None:
    assert unavailable(PoolTimeout("QueuePool limit of size 2 overflow 2 reached"))


def test_a_fault_in_the_statement_is_a_bug() -> None:
    assert not unavailable(_as_sqlalchemy(asyncpg.UndefinedColumnError("no such column")))
    assert not unavailable(_as_sqlalchemy(asyncpg.UniqueViolationError("duplicate key")))
