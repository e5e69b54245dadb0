"""Which database, and how to connect to it.

The URL comes from `--db`, else `KGNEWS_DATABASE_URL`, else a SQLite file in the
working directory. A bare path is taken as a SQLite file. SQLite connections use
WAL, foreign keys and a busy timeout; writers take the write lock at BEGIN
(`BEGIN IMMEDIATE`) so two processes queue instead of failing half way.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import DatabaseError as DriverDatabaseError

from crawler.errors import DatabaseError

ENV_VAR = "KGNEWS_DATABASE_URL"
DEFAULT_DATABASE_FILE = "kgnews.sqlite3"
LOCK_TIMEOUT_S = 30.0
"""How long a writer waits for another writer's lock before its transaction is
retried (SQLite's busy timeout, PostgreSQL's lock_timeout)."""
_BEGIN_OPTION = "kgnews_sqlite_begin"


def resolve_url(option: str | None = None, environ: Mapping[str, str] | None = None) -> URL:
    """The database URL the user asked for, checked and in SQLAlchemy's form."""
    env = os.environ if environ is None else environ
    raw = option or env.get(ENV_VAR) or DEFAULT_DATABASE_FILE
    if "://" not in raw:
        return URL.create("sqlite+pysqlite", database=str(Path(raw).expanduser().absolute()))
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseError(
            f"cannot read database URL {raw!r}: write it like sqlite:///kgnews.sqlite3 "
            "or postgresql://user@host:5432/dbname"
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseError("an in-memory SQLite database keeps nothing: give a file path")
        return url.set(drivername="sqlite+pysqlite")
    raise DatabaseError(
        f"unsupported database {backend!r} in {describe(url)}: kgnews works with "
        "sqlite:///path and postgresql://…"
    )


def describe(url: URL) -> str:
    """The database as it may be printed: a SQLite file's path, or the URL without password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def make_engine(url: URL, *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> Engine:
    """An engine for the archive, set up for its backend."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, lock_timeout_s)
    # A server that vanishes without a reset (a network partition) must fail a connect
    # or a query in seconds, not in TCP's minutes: the crawl's retries need the answer.
    engine = create_engine(url, pool_pre_ping=True, connect_args=POSTGRES_CONNECT_ARGS)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # A writer stuck behind a lock (a hung transaction elsewhere) gives up in
        # bounded time and is retried, as on SQLite, instead of waiting for ever.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_s * 1000)}")
        dbapi_connection.commit()

    return engine


POSTGRES_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,  # ms without an acknowledgement: the connection is dead
}


def snapshot(engine: Engine) -> dict[str, Any]:
    """Execution options for a connection that reads one moment of the whole archive
    while a crawl may be writing: SQLite's read transaction gives it by itself (the
    engine begins one), PostgreSQL needs REPEATABLE READ (read only) for it."""
    if engine.dialect.name == "postgresql":
        return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    return {}


def writer(engine: Engine) -> Engine:
    """The same engine, for transactions that will write (takes SQLite's lock at BEGIN)."""
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def sqlite_file(url: URL) -> Path:
    """The file a SQLite URL names (also as a file: URI)."""
    database = url.database or ""
    if url.query.get("uri") == "true" and database.startswith("file:"):
        database = unquote(database.removeprefix("file:").split("?")[0])  # as SQLite reads it
    return Path(database)


def read_only(url: URL) -> URL:
    """The URL to read a SQLite archive that cannot be written (a copy on a read-only
    mount, a file we may not write); any other URL as it is.

    Such a file is opened read-only. On a read-only mount, a WAL-mode file with no
    `-wal`/`-shm` beside it (a clean copy) cannot even be read that way, since SQLite
    would have to create them: it is opened `immutable`, right for a medium nobody
    writes.
    """
    if url.get_backend_name() != "sqlite":
        return url
    path = sqlite_file(url)
    if _writable(path) and _writable(path.parent):
        return url
    query = {"uri": "true", "mode": "ro"}
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    if _on_read_only_mount(path.parent) and not (wal.exists() and shm.exists()):
        # Nobody can write a read-only mount: "immutable" is true. A file we may only
        # not write on an ordinary disk stays plain read-only: its owner may be crawling.
        query["immutable"] = "1"
    # A file: URI: the path is percent-encoded, so "#", "?" or "%" in it stay the path's.
    return url.set(database=f"file:{quote(path.absolute().as_posix())}", query=query)


def _on_read_only_mount(directory: Path) -> bool:
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def _sqlite_engine(url: URL, lock_timeout_s: float) -> Engine:
    path = sqlite_file(url)
    if not path.parent.is_dir():
        raise DatabaseError(
            f"directory {path.parent} does not exist: create it, or give --db another path"
        )
    engine = create_engine(url, connect_args={"timeout": lock_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own
        # transaction handling starts transactions late and cannot take the lock early).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_s * 1000)}")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            # A read-only file cannot switch: readers still work, writers get a clear error.
            with suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def database_errors(url: URL) -> Iterator[None]:
    """Turn driver errors that mean "fix your setup" (unreachable, read-only, not a
    database, missing tables) into one-line DatabaseErrors."""
    where = describe(url)
    try:
        yield
    except (IntegrityError, DataError):
        raise  # our own bug or a write conflict, not something the user can fix
    except DriverDatabaseError as exc:
        raise DatabaseError(_explain(exc, where)) from exc


def _explain(exc: DBAPIError, where: str) -> str:
    original = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    lowered = original.lower()
    if "lock timeout" in lowered or "database is locked" in lowered:
        return (
            f"database {where} is busy: another writer held a lock past the lock timeout, "
            "again and again; try later, or end the transaction that holds it"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return f"database {where} is read-only: make the file and its directory writable"
    if "unable to open database file" in lowered:
        return f"cannot open {where}: check that the path and its directory are writable"
    if "file is not a database" in lowered:
        return f"{where} is not a SQLite database: give --db another path"
    if "does not exist" in lowered and "database" in lowered:
        return f"cannot connect to {where}: {original} (create it first, e.g. createdb)"
    if any(word in lowered for word in ("connect", "could not", "timeout", "resolve host")):
        return f"cannot connect to {where}: {original}; is the server running and the URL right?"
    return f"database error on {where}: {original}"


def ping(engine: Engine) -> None:
    """Connect once, so that a wrong URL fails here with a clear message."""
    with database_errors(engine.url), engine.connect() as connection:
        connection.execute(text("SELECT 1"))
