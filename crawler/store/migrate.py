"""Schema migrations (Alembic), and the check every command makes before it uses a database."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, inspect

from crawler.bundled import bundled
from crawler.errors import DatabaseError
from crawler.store.engine import database_errors, describe


def migrations_dir() -> Path:
    """Where the Alembic scripts are: inside the package when installed from a wheel,
    else the repository's top-level migrations/."""
    return bundled("_migrations", "migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(migrations_dir()))


def head_revision() -> str:
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - a broken checkout
        raise RuntimeError("no migration scripts found in " + str(migrations_dir()))
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database kgnews never migrated."""
    with database_errors(engine.url), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except CommandError:
        return False


def upgrade(engine: Engine, revision: str = "head") -> None:
    _migrate(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, "downgrade", revision)


def _migrate(engine: Engine, direction: Literal["upgrade", "downgrade"], revision: str) -> None:
    _refuse_unknown(engine, current_revision(engine))
    move = command.upgrade if direction == "upgrade" else command.downgrade
    with database_errors(engine.url):
        try:
            move(alembic_config(engine), revision)
        except CommandError as exc:
            raise DatabaseError(f"cannot {direction} {describe(engine.url)}: {exc}") from exc


def _refuse_unknown(engine: Engine, current: str | None) -> None:
    if current is not None and not is_known(current):
        raise DatabaseError(
            f"database {describe(engine.url)} is at schema revision {current}, which this "
            f"kgnews does not know (head is {head_revision()}): it was made by a newer "
            "kgnews; upgrade kgnews instead"
        )


def ensure_schema(engine: Engine, *, migrate_if_empty: bool) -> None:
    """Refuse a database whose schema is not this kgnews's head.

    An empty database is migrated when `migrate_if_empty` (what `kgnews crawl` does);
    an older one is left for `kgnews db upgrade`, a deliberate step on a production
    database; an unknown or newer one is refused.
    """
    current = current_revision(engine)
    where = describe(engine.url)
    if current is None:
        with database_errors(engine.url):
            tables = inspect(engine).get_table_names()
        if tables:  # another process may have just migrated it: look once more
            current = current_revision(engine)
        if tables and current is not None:
            ensure_schema(engine, migrate_if_empty=migrate_if_empty)
            return
        if tables:
            raise DatabaseError(
                f"database {where} has tables but no kgnews schema revision: "
                "it is not a kgnews archive; give --db another database"
            )
        if not migrate_if_empty:
            raise DatabaseError(f"database {where} is empty: run `kgnews db upgrade` first")
        upgrade(engine)
        return
    _refuse_unknown(engine, current)
    head = head_revision()
    if current != head:
        raise DatabaseError(
            f"database {where} is at schema revision {current}, this kgnews needs {head}: "
            "run `kgnews db upgrade`"
        )
