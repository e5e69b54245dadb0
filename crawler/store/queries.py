"""Read-only questions the command line asks of the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, type_coerce

from crawler.store.engine import database_errors
from crawler.store.models import Article, ArticleVersion, Fetch, Source
from crawler.store.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class SourceTotals:
    key: str
    articles: int
    versions: int
    fetches: int
    errors: int
    last_fetch: datetime | None


def source_totals(engine: Engine) -> list[SourceTotals]:
    """Per source: articles, versions, fetches, failed fetches, and the last fetch time."""
    articles = (
        select(Article.source_id, func.count().label("n")).group_by(Article.source_id).subquery()
    )
    versions = (
        select(Article.source_id, func.count().label("n"))
        .join(ArticleVersion, ArticleVersion.article_id == Article.id)
        .group_by(Article.source_id)
        .subquery()
    )
    fetches = (
        select(
            Fetch.source_id,
            func.count().label("n"),
            func.count().filter(Fetch.outcome == "error").label("errors"),
            type_coerce(func.max(Fetch.fetched_at), UTCDateTime()).label("last"),
        )
        .group_by(Fetch.source_id)
        .subquery()
    )
    query = (
        select(
            Source.key,
            func.coalesce(articles.c.n, 0),
            func.coalesce(versions.c.n, 0),
            func.coalesce(fetches.c.n, 0),
            func.coalesce(fetches.c.errors, 0),
            fetches.c.last,
        )
        .outerjoin(articles, articles.c.source_id == Source.id)
        .outerjoin(versions, versions.c.source_id == Source.id)
        .outerjoin(fetches, fetches.c.source_id == Source.id)
        .order_by(Source.key)
    )
    with database_errors(engine.url), engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        SourceTotals(key, int(a), int(v), int(f), int(e), last) for key, a, v, f, e, last in rows
    ]


def archived_source_keys(engine: Engine) -> list[str]:
    """The keys of the sources the archive holds, in key order."""
    with database_errors(engine.url), engine.connect() as connection:
        return list(connection.scalars(select(Source.key).order_by(Source.key)))
