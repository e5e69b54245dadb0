"""One write transaction, started again when it loses a race with another writer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from crawler.store.engine import database_errors, writer
from crawler.store.faults import fault_point

MAX_ATTEMPTS = 6
T = TypeVar("T")


def in_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in one write transaction; start again on a write conflict.

    A conflict is a unique-constraint race (two first inserts of one article), a
    deadlock, a serialisation failure or a lock held longer than the lock timeout
    (SQLite's busy timeout): the other writer has committed by the time we retry, so
    the retry sees its rows. Anything else propagates, and the transaction leaves nothing behind.
    """
    with database_errors(engine.url):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with Session(writer(engine)) as session, session.begin():
                    result = work(session)
                fault_point("committed", work=work.__qualname__)
                return result
            except (IntegrityError, OperationalError) as exc:
                if attempt == MAX_ATTEMPTS or not is_conflict(exc):
                    raise
                fault_point("conflict_retry", attempt=attempt)
                time.sleep(0.01 * 2**attempt)  # let the other writer finish
    raise AssertionError("unreachable")  # pragma: no cover


_CONFLICT_SQLSTATES = {"23505", "40001", "40P01", "55P03"}
_CONFLICT_MESSAGES = ("unique constraint failed", "database is locked", "database is busy")


def is_conflict(exc: IntegrityError | OperationalError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _CONFLICT_SQLSTATES
    message = str(exc.orig).lower()
    return any(marker in message for marker in _CONFLICT_MESSAGES)
