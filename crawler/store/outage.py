"""Telling a database that went away (worth trying again) from a mistake or a bug."""

from __future__ import annotations

from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError

from crawler.store.transaction import is_conflict


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database could not be reached or the
    connection broke: a server stopped, restarting, or cut off by the network."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DisconnectionError | InterfaceError):
            return True
        if isinstance(seen, OperationalError) and not isinstance(seen, IntegrityError):
            return not is_conflict(seen) and not _is_user_setup(seen)
        seen = seen.__cause__
    return False


_SETUP = ("readonly", "read-only", "no such table", "does not exist", "permission denied")


def _is_user_setup(exc: OperationalError) -> bool:
    """A database that answers but refuses (read-only, no such table): no retry helps."""
    text = str(exc.orig).lower()
    return any(marker in text for marker in _SETUP)
