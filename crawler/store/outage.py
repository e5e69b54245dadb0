"""Telling a database that went away (worth trying again) from a mistake or a bug.

Only what the drivers say is a lost or refused connection, or a server that is
starting, stopping or out of connections, counts; a SQL error, a bad row or a
statement timeout is not retried.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError

# PostgreSQL SQLSTATEs: class 08 (connection exception), admin/crash shutdown and
# "cannot connect now" (57P01-57P03), too many connections (53300), and a lock held past
# the lock timeout through all the write's own retries (55P03, as SQLite's SQLITE_BUSY).
_PG_OUTAGE_CLASSES = ("08",)
_PG_OUTAGE_STATES = {"57P01", "57P02", "57P03", "53300", "55P03"}
# SQLite: the file could not be read or written, or stayed locked past the retries.
_SQLITE_OUTAGES = ("SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_BUSY")


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database could not be reached or the
    connection broke: a server stopped, restarting, or cut off by the network."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DisconnectionError):
            return True
        if isinstance(seen, DBAPIError):
            return seen.connection_invalidated or _driver_says_outage(seen)
        seen = seen.__cause__
    return False


def _driver_says_outage(exc: DBAPIError) -> bool:
    original = exc.orig
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if sqlite_name is not None:
        return str(sqlite_name).startswith(_SQLITE_OUTAGES)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in _PG_OUTAGE_CLASSES or sqlstate in _PG_OUTAGE_STATES
    # psycopg reports a refused or broken connection with no SQLSTATE at all.
    return isinstance(exc, InterfaceError) or type(original).__name__ == "OperationalError"
