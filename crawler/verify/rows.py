"""The row invariants: versions 1..n with the latest current, no orphans, every version
with the fetch that brought it, every fetch pointing where it should, no run left
`running` by a process that died.

Each check is one streamed query; a violation is one line naming the rows' ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select

from crawler.store.models import Article, ArticleVersion, CrawlLock, CrawlRun, Fetch, Source
from crawler.store.runs import STALE_AFTER

STREAM = 2000  # rows fetched at a time


def row_problems(connection: Connection, source_id: int | None, now: datetime) -> Iterator[str]:
    """Every violation of the row invariants (of one source's rows, when `source_id`)."""
    yield from _versions(connection, source_id)
    yield from _orphan_versions(connection, source_id)
    yield from _versions_without_fetch(connection, source_id)
    yield from _fetches(connection, source_id)
    if source_id is None:
        yield from _dead_runs(connection, now)


def count_rows(connection: Connection, source_id: int | None) -> dict[str, int]:
    """How many articles, versions and fetches were checked."""

    def count(query: Select[Any]) -> int:
        return int(connection.scalar(query) or 0)

    articles = select(func.count()).select_from(Article)
    versions = select(func.count()).select_from(ArticleVersion)
    fetches = select(func.count()).select_from(Fetch)
    if source_id is not None:
        articles = articles.where(Article.source_id == source_id)
        versions = versions.join(Article, Article.id == ArticleVersion.article_id).where(
            Article.source_id == source_id
        )
        fetches = fetches.where(Fetch.source_id == source_id)
    return {"articles": count(articles), "versions": count(versions), "fetches": count(fetches)}


def stream(connection: Connection, query: Select) -> Iterator:  # type: ignore[type-arg]
    return iter(connection.execution_options(stream_results=True, yield_per=STREAM).execute(query))


def _versions(connection: Connection, source_id: int | None) -> Iterator[str]:
    numbers = (
        select(
            ArticleVersion.article_id,
            func.max(ArticleVersion.version).label("latest"),
            func.min(ArticleVersion.version).label("lowest"),
            func.count().label("n"),
        )
        .group_by(ArticleVersion.article_id)
        .subquery()
    )
    current = ArticleVersion.__table__.alias("current")
    query = (
        select(
            Article.id,
            Article.current_version_id,
            current.c.article_id.label("owner"),
            current.c.version.label("current"),
            numbers.c.latest,
            numbers.c.lowest,
            numbers.c.n,
        )
        .outerjoin(current, current.c.id == Article.current_version_id)
        .outerjoin(numbers, numbers.c.article_id == Article.id)
        .order_by(Article.id)
    )
    if source_id is not None:
        query = query.where(Article.source_id == source_id)
    for row in stream(connection, query):
        name = f"article {row.id}"
        if row.n is None:
            yield f"{name}: has no version"
            continue
        if row.lowest != 1 or row.n != row.latest:
            yield (
                f"{name}: versions are not 1..{row.latest} without gaps "
                f"({row.n} versions, the lowest {row.lowest})"
            )
        if row.current_version_id is None:
            yield f"{name}: no current version (its latest is version {row.latest})"
        elif row.owner is None:
            yield f"{name}: current_version_id {row.current_version_id} names no version"
        elif row.owner != row.id:
            yield (
                f"{name}: current_version_id {row.current_version_id} is a version of "
                f"article {row.owner}"
            )
        elif row.current != row.latest:
            yield f"{name}: its current version is {row.current}, its latest {row.latest}"


def _orphan_versions(connection: Connection, source_id: int | None) -> Iterator[str]:
    if source_id is not None:  # an orphan belongs to no source
        return
    query = (
        select(ArticleVersion.id, ArticleVersion.article_id)
        .outerjoin(Article, Article.id == ArticleVersion.article_id)
        .where(Article.id.is_(None))
        .order_by(ArticleVersion.id)
    )
    for row in stream(connection, query):
        yield f"version {row.id}: belongs to article {row.article_id}, which does not exist"


def _versions_without_fetch(connection: Connection, source_id: int | None) -> Iterator[str]:
    """A version is written in one transaction with the fetch that brought it (an
    extraction again from a kept page reuses that fetch's time): one without is half a
    write."""
    fetched = (
        select(Fetch.id)
        .where(
            Fetch.article_id == ArticleVersion.article_id,
            Fetch.fetched_at == ArticleVersion.fetched_at,
        )
        .exists()
    )
    query = (
        select(ArticleVersion.id, ArticleVersion.article_id, ArticleVersion.version)
        .join(Article, Article.id == ArticleVersion.article_id)
        .where(~fetched)
        .order_by(ArticleVersion.id)
    )
    if source_id is not None:
        query = query.where(Article.source_id == source_id)
    for row in stream(connection, query):
        yield (
            f"version {row.id}: version {row.version} of article {row.article_id} has no "
            "fetch at its time: it was written without the fetch that brought it"
        )


def _fetches(connection: Connection, source_id: int | None) -> Iterator[str]:
    query = (
        select(
            Fetch.id,
            Fetch.outcome,
            Fetch.article_id,
            Fetch.crawl_run_id,
            Article.id.label("article"),
            Source.id.label("source"),
            CrawlRun.id.label("run"),
        )
        .outerjoin(Article, Article.id == Fetch.article_id)
        .outerjoin(Source, Source.id == Fetch.source_id)
        .outerjoin(CrawlRun, CrawlRun.id == Fetch.crawl_run_id)
        .where(
            or_(
                and_(Fetch.article_id.is_not(None), Article.id.is_(None)),
                Source.id.is_(None),
                and_(Fetch.crawl_run_id.is_not(None), CrawlRun.id.is_(None)),
                and_(
                    Fetch.outcome.in_(("new", "changed", "unchanged")), Fetch.article_id.is_(None)
                ),
            )
        )
        .order_by(Fetch.id)
    )
    if source_id is not None:
        query = query.where(Fetch.source_id == source_id)
    for row in stream(connection, query):
        name = f"fetch {row.id}"
        if row.article_id is not None and row.article is None:
            yield f"{name}: points at article {row.article_id}, which does not exist"
        elif row.article_id is None:
            yield f"{name}: outcome {row.outcome} but it points at no article"
        if row.source is None:
            yield f"{name}: its source does not exist"
        if row.crawl_run_id is not None and row.run is None:
            yield f"{name}: made by run {row.crawl_run_id}, which does not exist"


def _dead_runs(connection: Connection, now: datetime) -> Iterator[str]:
    heartbeat = (
        select(CrawlLock.crawl_run_id, func.max(CrawlLock.heartbeat_at).label("beat"))
        .group_by(CrawlLock.crawl_run_id)
        .subquery()
    )
    query = (
        select(CrawlRun.id, CrawlRun.started_at, heartbeat.c.beat)
        .outerjoin(heartbeat, heartbeat.c.crawl_run_id == CrawlRun.id)
        .where(CrawlRun.status == "running")
        .order_by(CrawlRun.id)
    )
    for row in stream(connection, query):
        beat = row.beat
        if beat is None:
            started = f"{row.started_at:%Y-%m-%d %H:%M}"
            yield f"run {row.id}: still 'running' but holds no lock (started {started} UTC)"
        elif beat < now - STALE_AFTER:
            yield (
                f"run {row.id}: still 'running' but its last heartbeat was {beat:%Y-%m-%d %H:%M} "
                "UTC: it died; the next crawl marks it interrupted"
            )
