"""A whole archive copied into a new SQLite file (`kgnews export --format sqlite`): how a
PostgreSQL archive reaches the tools that read SQLite (Datasette, `kgnews serve`).

The copy is built in a temporary file beside the target, migrated to the head revision
first (so its views, search index and triggers are SQLite's own), filled table by table
in the order of their keys, checked, and only then moved into place: an interrupted copy
leaves nothing, and an existing file is never overwritten.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, event, func, select, text

from crawler.errors import UserError
from crawler.store.engine import database_errors, make_engine, resolve_url, snapshot
from crawler.store.migrate import upgrade
from crawler.store.models import SUMMARY_TABLES, Base

CHUNK = 2000


def copy_archive(
    source: Engine, target: Path, progress: Callable[[str, int], None] = lambda t, n: None
) -> dict[str, int]:
    """Copy every table of `source` into a new SQLite file at `target`; rows per table."""
    if target.exists():
        raise UserError(f"{target} exists: give --output a new file (nothing is overwritten)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".kgnews-copy-", dir=target.parent) as work:
        built = Path(work) / target.name
        engine = make_engine(resolve_url(f"sqlite:///{built}"))
        try:
            upgrade(engine)
            counts = _fill(source, engine, progress)
        finally:
            engine.dispose()
        try:  # a link, not a rename: it fails rather than replace a file made meanwhile
            os.link(built, target)
        except FileExistsError:
            raise UserError(f"{target} appeared while copying: nothing is overwritten") from None
    return counts


def _fill(source: Engine, engine: Engine, progress: Callable[[str, int], None]) -> dict[str, int]:
    counts: dict[str, int] = {}

    @event.listens_for(engine, "connect")
    def _no_key_checks_while_copying(connection: object, _record: object) -> None:
        # articles ↔ article_versions point at each other: the keys are checked at the end
        connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[attr-defined]

    engine.dispose()  # the listener applies to new connections
    with (
        database_errors(source.url),
        source.connect().execution_options(**snapshot(source)) as reading,  # one moment
        engine.begin() as writing,
    ):
        tables = Base.metadata.sorted_tables
        for table in [
            *(t for t in tables if t.name not in SUMMARY_TABLES),
            *(t for t in tables if t.name in SUMMARY_TABLES),  # after all they summarise
        ]:
            total = reading.execute(select(func.count()).select_from(table)).scalar_one()
            progress(table.name, total)
            rows = reading.execution_options(stream_results=True, yield_per=CHUNK).execute(
                select(table).order_by(*table.primary_key.columns)
            )
            copied = 0
            if table.name in SUMMARY_TABLES:  # its triggers filled it from the rows copied
                writing.execute(table.delete())  # before it; the source's rows are the truth
            for chunk in rows.partitions():
                writing.execute(table.insert(), [dict(row._mapping) for row in chunk])
                copied += len(chunk)
            counts[table.name] = copied
        broken = writing.execute(text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            raise RuntimeError(f"the copy breaks {len(broken)} foreign keys: {broken[:3]}")
    return counts
