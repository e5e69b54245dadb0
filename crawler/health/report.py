"""The latest health of each source, read back from source_health for `kgnews health`."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.store.models import Source, SourceHealth


def latest_health(engine: Engine, keys: list[str]) -> list[tuple[str, SourceHealth]]:
    """(source key, its latest source_health row) for each source measured, by key;
    only those in `keys` when it is not empty."""
    latest = (
        select(SourceHealth.source_id, func.max(SourceHealth.id).label("id"))
        .group_by(SourceHealth.source_id)
        .subquery()
    )
    query = (
        select(Source.key, SourceHealth)
        .join(latest, latest.c.id == SourceHealth.id)
        .join(Source, Source.id == SourceHealth.source_id)
        .order_by(Source.key)
    )
    if keys:
        query = query.where(Source.key.in_(keys))
    with Session(engine) as session:
        rows = [(key, row) for key, row in session.execute(query).tuples()]
        session.expunge_all()
    return rows


def archived_sources(engine: Engine) -> list[str]:
    """The keys of the sources the archive knows."""
    with Session(engine) as session:
        return list(session.scalars(select(Source.key).order_by(Source.key)))
