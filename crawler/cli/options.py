"""Options and set-up shared by the subcommands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from sqlalchemy import Engine

from crawler.errors import UserError
from crawler.store.engine import make_engine, ping, read_only, resolve_url, sqlite_file
from crawler.store.migrate import ensure_schema

F = TypeVar("F", bound=Callable[..., Any])


def db_option(function: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        help="Archive database: sqlite:///path, postgresql://…, or a file path "
        "[default: $KGNEWS_DATABASE_URL, else ./kgnews.sqlite3].",
    )(function)


def connect(db: str | None) -> Engine:
    """An engine for the database the user named, checked to be reachable."""
    engine = make_engine(resolve_url(db))
    ping(engine)
    return engine


def open_archive(db: str | None, *, migrate_if_empty: bool = False) -> Engine:
    """An engine for an archive whose schema is this kgnews's head revision. Only a
    command that may create the archive (`migrate_if_empty`) opens a SQLite file that
    is not there: any other says so and creates nothing (a mistyped --db)."""
    if not migrate_if_empty:
        refuse_missing_file(db)
    engine = connect(db)
    ensure_schema(engine, migrate_if_empty=migrate_if_empty)
    return engine


def read_archive(db: str | None) -> Engine:
    """An archive for a command that only reads it: as `open_archive`, and a SQLite
    file that cannot be written (a copy on a read-only mount) is opened read-only."""
    refuse_missing_file(db)
    engine = make_engine(read_only(resolve_url(db)))
    ping(engine)
    ensure_schema(engine, migrate_if_empty=False)
    return engine


def refuse_missing_file(db: str | None) -> None:
    """A SQLite archive that is not there (a mistyped --db): said, and nothing created."""
    url = resolve_url(db)
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if not path.exists():
            raise UserError(
                f"no archive at {path}: check --db (a crawl creates one: kgnews crawl --db {path})"
            )


def parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"--since takes a date like 2024-06-01 or 2024-06-01T12:00, not {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_source(engine: Engine, key: str | None) -> None:
    """A --source the archive does not hold: named, with those it does (exit status 2)."""
    if key is None:
        return
    from crawler.store.queries import archived_source_keys

    known = archived_source_keys(engine)
    if key not in known:
        held = ", ".join(known) if known else "none yet"
        raise UserError(f"unknown source {key!r}: the archive holds {held}")
