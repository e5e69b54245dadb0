"""All of `kgnews verify` in one call: the problems, streamed, and what was checked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from crawler.errors import UserError
from crawler.store.engine import database_errors, snapshot
from crawler.store.models import Source
from crawler.verify.records import Counted, RulesFor, record_problems
from crawler.verify.rows import count_rows, row_problems
from crawler.verify.summaries import summary_problems


@dataclass
class Checked:
    rows: dict[str, int] = field(default_factory=dict)
    warc: Counted = field(default_factory=Counted)


def verify(
    engine: Engine,
    now: datetime,
    *,
    source: str | None = None,
    warc_dir: Path | None = None,
    rules_for: RulesFor = lambda key: None,
    checked: Checked | None = None,
) -> Iterator[str]:
    """Every violation of the archive's invariants, one line each; with `warc_dir`, of
    its raw pages too. `checked` is filled with how much was looked at."""
    checked = checked if checked is not None else Checked()
    with (
        database_errors(engine.url),
        engine.connect().execution_options(**snapshot(engine)) as connection,  # one moment
    ):
        source_id = None
        if source is not None:
            source_id = connection.scalar(select(Source.id).where(Source.key == source))
            if source_id is None:
                raise UserError(f"source {source!r} is not in the archive")
        checked.rows = count_rows(connection, source_id)
        yield from row_problems(connection, source_id, now)
        yield from summary_problems(connection, source_id)
        if warc_dir is not None:
            yield from record_problems(
                engine, connection, warc_dir, source_id, rules_for, checked.warc
            )
