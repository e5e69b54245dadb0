"""Alembic environment for kgnews.

`kgnews db upgrade` passes its engine in `config.attributes["engine"]`. The plain
`alembic` command (configured in pyproject.toml's [tool.alembic]) uses --db's
fallbacks: KGNEWS_DATABASE_URL, else ./kgnews.sqlite3.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from crawler.store.engine import make_engine, resolve_url, writer
from crawler.store.models import Base, is_modelled

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    return engine if isinstance(engine, Engine) else make_engine(resolve_url())


def run_migrations_offline() -> None:
    url = resolve_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


MIGRATION_LOCK = 0x6B676E657773  # "kgnews": one migration at a time per PostgreSQL database


def _hold_off_writers() -> None:
    """An archive that is about to be migrated: writes under way finish, later ones wait
    until the whole upgrade has committed; plain reads go on. Taken before any migration
    locks anything, articles first (every writer locks an article before it writes a
    version), so that no migration's lock can meet a writer half way and deadlock, and
    no write lands between a migration's fill of a summary table and its triggers."""
    current = context.get_context().get_current_revision()
    if current is not None and current != context.script.get_current_head():
        context.execute("LOCK TABLE articles, article_versions IN EXCLUSIVE MODE")


def run_migrations_online() -> None:
    engine = _engine()
    sqlite = engine.dialect.name == "sqlite"
    # Concurrent first crawls on an empty database: each migrates under a lock, and reads
    # the schema's revision only once it holds it, so one migrates and the others find
    # the work done. SQLite: the write lock at BEGIN (IMMEDIATE), waiting up to its busy
    # timeout; PostgreSQL: an advisory lock for the transaction.
    with writer(engine).connect() as connection:
        if sqlite:
            # Batch mode copies tables; with foreign keys enforced, dropping the old copy of
            # a referenced table would fail. The pragma only works outside a transaction,
            # so it goes to the driver before SQLAlchemy begins one.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_name=lambda name, type_, _parents: is_modelled(name, type_),
                # SQLite does roll back DDL: one transaction for the whole upgrade,
                # so a migration that fails half way leaves the archive as it was.
                transactional_ddl=True,
            )
            with context.begin_transaction():
                if not sqlite:
                    # A migration may take long on a big archive: the others wait it out.
                    connection.execute(text("SET LOCAL lock_timeout = 0"))
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                    _hold_off_writers()
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if connection.in_transaction():
                connection.rollback()
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
