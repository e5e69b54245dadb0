"""Many fetches' writes in one transaction, with set-based statements.

The rules are those of crawler.store.versioning, applied to the writes in their order
as if each had been written alone: an article seen twice in a batch is versioned twice,
and a fetch that refers to an article sees it only once a write before it has made it.
What changes is the cost: one lookup of every article the batch names (locked, in id
order, so that two batches never wait on each other in a circle), one INSERT per table
and one UPDATE of the articles, instead of a transaction and an ORM flush per page.

A batch is one transaction: it all lands, or nothing of it does. Its caller falls back
to writing each fetch alone (`store_one`) when the database refuses a batch, so that a
row it will not take loses nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Engine, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from crawler.extract.article import Article as ExtractedArticle
from crawler.store.faults import fault_point
from crawler.store.models import Article, ArticleVersion, Fetch
from crawler.store.transaction import in_transaction
from crawler.store.versioning import (
    FetchInfo,
    StoreResult,
    content_hash,
    fetch_values,
    store_article,
    store_fetch,
    version_values,
)

ARTICLES = cast(Table, Article.__table__)
VERSIONS = cast(Table, ArticleVersion.__table__)
FETCHES = cast(Table, Fetch.__table__)


@dataclass(frozen=True, slots=True)
class ArticleWrite:
    """An extracted article and the fetch that brought it (`store_article`)."""

    article: ExtractedArticle
    fetch: FetchInfo


@dataclass(frozen=True, slots=True)
class FetchWrite:
    """A fetch that makes no version (`store_fetch`): not modified, skipped or an error."""

    fetch: FetchInfo
    outcome: str
    error: str | None = None
    article_url: str | None = None
    article: ExtractedArticle | None = None


Write = ArticleWrite | FetchWrite


def store_one(engine: Engine, write: Write) -> StoreResult:
    """Write one fetch in a transaction of its own."""
    if isinstance(write, ArticleWrite):
        return store_article(engine, write.article, write.fetch)
    return store_fetch(
        engine, write.fetch, write.outcome,
        error=write.error, article_url=write.article_url, article=write.article,
    )  # fmt: skip


@dataclass(slots=True)
class _Current:
    number: int
    digest: str
    version_id: int | None  # None until the batch's versions are inserted
    text: tuple[str, str] | None = None  # title and body, read when a change needs them
    pending: int | None = None  # its index among the batch's new versions


@dataclass(slots=True)
class _Row:
    """An article as the batch leaves it."""

    id: int
    last_fetched_at: datetime
    published_at: datetime | None
    last_changed_at: datetime | None
    etag: str | None
    last_modified: str | None
    current: _Current | None  # (its number is the highest: versions only ever follow it)
    made_by: int | None = None  # the index of the write that made it, for a new article
    touched: bool = False


def store_batch(engine: Engine, writes: Sequence[Write]) -> list[StoreResult]:
    """Archive these fetches in one transaction; their results, in the same order."""
    digests = [
        content_hash(w.article.title, w.article.paragraphs) if isinstance(w, ArticleWrite) else ""
        for w in writes
    ]

    def write(session: Session) -> list[StoreResult]:
        done = _already_recorded(session, writes)
        rows = _articles(session, writes, done)
        versions: list[tuple[str, dict[str, Any]]] = []
        fetches: list[dict[str, Any]] = []
        results: list[StoreResult] = []
        by_id = {row.id: row for row in rows.values()}
        for index, item in enumerate(writes):
            if item.fetch.key in done:  # as it stands now, after the writes before it
                results.append(_as_now(done[item.fetch.key], by_id))
            elif isinstance(item, ArticleWrite):
                result = _version(session, rows, item, digests[index], versions)
                results.append(result)
                fetches.append(fetch_values(item.fetch, result.outcome, result.article_id,
                                            None, item.article))  # fmt: skip
            else:
                row = _visible(rows, item.article_url, index)
                if row is not None and item.outcome == "not_modified":
                    row.last_fetched_at = max(row.last_fetched_at, item.fetch.fetched_at)
                    row.touched = True
                row_id = row.id if row is not None else None
                results.append(StoreResult(item.outcome, row_id))
                fetches.append(fetch_values(item.fetch, item.outcome, row_id, item.error,
                                            item.article))  # fmt: skip
        _insert_versions(session, rows, versions)
        _update_articles(session, rows)
        if fetches:
            session.execute(insert(FETCHES), fetches)
            for values in fetches:
                fault_point("fetch_written", url=values["url"])
        return results

    return in_transaction(engine, write)


def store_reextractions(
    engine: Engine, pages: Sequence[tuple[int, ExtractedArticle, datetime]]
) -> list[StoreResult]:
    """Archive pages extracted again from their kept raw responses (no new fetch), in
    one transaction: (article id, what its page gives today, when the page was fetched),
    in order. The rule of a fetch: a new version only where the text differs from the
    current one (`extractor` says which code made it); the article's fetch columns stay."""
    digests = [content_hash(article.title, article.paragraphs) for _, article, _ in pages]

    def write(session: Session) -> list[StoreResult]:
        by_url = _locked(session, Article.id.in_(sorted({id_ for id_, _, _ in pages})))
        rows = {row.id: row for row in by_url.values()}
        versions: list[tuple[str, dict[str, Any]]] = []
        results = []
        for (article_id, article, fetched_at), digest in zip(pages, digests, strict=True):
            row = rows[article_id]
            results.append(_next_version(session, row, article, fetched_at, digest, versions))
        _insert_versions(session, by_url, versions)
        _update_articles(session, by_url)
        return results

    return in_transaction(engine, write)


def _already_recorded(session: Session, writes: Sequence[Write]) -> dict[str, StoreResult]:
    """What an earlier attempt at these very fetches recorded (its commit landed, its
    answer was lost), by fetch key."""
    keys = [w.fetch.key for w in writes if w.fetch.key is not None and not w.fetch.first_try]
    if not keys:
        return {}
    query = (
        select(Fetch.fetch_key, Fetch.outcome, Fetch.article_id, ArticleVersion.version)
        .outerjoin(Article, Article.id == Fetch.article_id)
        .outerjoin(ArticleVersion, ArticleVersion.id == Article.current_version_id)
        .where(Fetch.fetch_key.in_(keys))
    )
    return {
        key: StoreResult(outcome, article_id, number if article_id is not None else None)
        for key, outcome, article_id, number in session.execute(query)
        if key is not None
    }


def _articles(
    session: Session, writes: Sequence[Write], done: dict[str, StoreResult]
) -> dict[str, _Row]:
    """Every article the batch names, by URL: those in the archive, locked; then the new
    ones an article write makes, inserted in the order of the writes."""
    todo = [(index, w) for index, w in enumerate(writes) if w.fetch.key not in done]
    urls = {w.article.url for _, w in todo if isinstance(w, ArticleWrite)}
    urls |= {w.article_url for _, w in todo if isinstance(w, FetchWrite) and w.article_url}
    rows = _locked(session, Article.url.in_(sorted(urls))) if urls else {}
    new: dict[str, tuple[int, ArticleWrite]] = {}
    for index, w in todo:
        if isinstance(w, ArticleWrite) and w.article.url not in rows:
            new.setdefault(w.article.url, (index, w))
    if new:
        values = [
            {"source_id": w.fetch.source_id, "url": url, "first_seen_at": w.fetch.fetched_at,
             "last_fetched_at": w.fetch.fetched_at}
            for url, (_, w) in new.items()
        ]  # fmt: skip
        made = session.execute(
            insert(ARTICLES).returning(ARTICLES.c.id, sort_by_parameter_order=True), values
        ).scalars()
        for (url, (index, w)), id_ in zip(new.items(), made, strict=True):
            rows[url] = _Row(id_, w.fetch.fetched_at, None, None, None, None, None, index)
    return rows


def _as_now(recorded: StoreResult, rows: dict[int, _Row]) -> StoreResult:
    """What a retried write recorded, with its article's current version number as the
    batch has it at this point (the number a write alone would read then)."""
    row = rows.get(recorded.article_id) if recorded.article_id is not None else None
    if row is None or row.current is None:
        return recorded
    return replace(recorded, version=row.current.number)


def _locked(session: Session, which: ColumnElement[bool]) -> dict[str, _Row]:
    """These articles as they are, by URL, locked for the transaction (in id order).

    The lock is taken first, and the rows read after it: a statement that waited for
    the lock would see the article row as the other writer committed it but its
    current version as it was before (PostgreSQL re-reads only the locked row)."""
    ids = session.scalars(
        select(Article.id).where(which).order_by(Article.id).with_for_update()
    ).all()
    if not ids:
        return {}
    found = session.execute(
        select(
            Article.id, Article.url, Article.last_fetched_at, Article.published_at,
            Article.last_changed_at, Article.etag, Article.last_modified,
            ArticleVersion.id, ArticleVersion.version, ArticleVersion.content_hash,
        )
        .outerjoin(ArticleVersion, ArticleVersion.id == Article.current_version_id)
        .where(Article.id.in_(ids))
    ).all()  # fmt: skip
    rows = {}
    for id_, url, fetched, published, changed, etag, modified, vid, number, digest in found:
        current = _Current(number, digest, vid) if vid is not None else None
        rows[url] = _Row(id_, fetched, published, changed, etag, modified, current)
    return rows


def _visible(rows: dict[str, _Row], url: str | None, index: int) -> _Row | None:
    """The article a fetch write refers to, if it exists by the time of that write."""
    row = rows.get(url) if url is not None else None
    if row is None or (row.made_by is not None and row.made_by > index):
        return None  # (made by a later write of the batch)
    return row


def _version(
    session: Session,
    rows: dict[str, _Row],
    item: ArticleWrite,
    digest: str,
    versions: list[tuple[str, dict[str, Any]]],
) -> StoreResult:
    """The versioning rule for one article write, on the batch's rows."""
    article, fetch = item.article, item.fetch
    row = rows[article.url]
    row.touched = True
    if article.published_at is not None:
        row.published_at = article.published_at
    row.last_fetched_at = max(row.last_fetched_at, fetch.fetched_at)
    row.etag, row.last_modified = fetch.etag, fetch.last_modified
    return _next_version(session, row, article, fetch.fetched_at, digest, versions, fetch.url)


def _next_version(
    session: Session,
    row: _Row,
    article: ExtractedArticle,
    fetched_at: datetime,
    digest: str,
    versions: list[tuple[str, dict[str, Any]]],
    url: str = "",
) -> StoreResult:
    """The versioning rule on the batch's row: the same text as the current version is
    `unchanged`; else a version n+1 becomes current."""
    current = row.current
    if current is not None and current.digest == digest:
        return StoreResult("unchanged", row.id, current.number)
    number = current.number + 1 if current is not None else 1
    fault_point("version_chosen", number=number)
    before = _text(session, current) if current is not None else None
    versions.append((url, version_values(row.id, number, digest, article, fetched_at, before)))
    row.current = _Current(number, digest, None, (article.title, article.body), len(versions) - 1)
    row.touched = True
    if number > 1:
        row.last_changed_at = max(row.last_changed_at or fetched_at, fetched_at)
    return StoreResult("new" if number == 1 else "changed", row.id, number)


def _text(session: Session, current: _Current) -> tuple[str, str]:
    """The title and body of an article's current version."""
    if current.text is None:
        title, body = session.execute(
            select(ArticleVersion.title, ArticleVersion.body).where(
                ArticleVersion.id == current.version_id
            )
        ).one()
        current.text = (title, body)
    return current.text


def _insert_versions(
    session: Session, rows: dict[str, _Row], versions: list[tuple[str, dict[str, Any]]]
) -> None:
    if not versions:
        return
    statement = insert(VERSIONS).returning(VERSIONS.c.id, sort_by_parameter_order=True)
    ids = session.execute(statement, [values for _, values in versions]).scalars().all()
    for row in rows.values():
        if row.current is not None and row.current.pending is not None:
            row.current.version_id = ids[row.current.pending]
    for url, _ in versions:
        fault_point("version_written", url=url)


def _update_articles(session: Session, rows: dict[str, _Row]) -> None:
    touched = sorted((row for row in rows.values() if row.touched), key=lambda row: row.id)
    if not touched:
        return
    statement = (
        update(ARTICLES)
        .where(ARTICLES.c.id == bindparam("row_id"))
        .values(
            last_fetched_at=bindparam("fetched"),
            published_at=bindparam("published"),
            last_changed_at=bindparam("changed"),
            etag=bindparam("row_etag"),
            last_modified=bindparam("modified"),
            current_version_id=bindparam("version_id"),
        )
    )
    session.connection().execute(
        statement,
        [
            {
                "row_id": row.id,
                "fetched": row.last_fetched_at,
                "published": row.published_at,
                "changed": row.last_changed_at,
                "row_etag": row.etag,
                "modified": row.last_modified,
                "version_id": row.current.version_id if row.current else None,
            }
            for row in touched
        ],
    )
