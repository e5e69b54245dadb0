"""The versioning rules: how a fetched article becomes rows in the archive.

- An article is looked up by its canonical URL. The first time: version 1, outcome `new`.
- The content hash covers the normalised title and body, so spacing, NBSP or look-alike
  letters are not a change. Same hash as the current version: outcome `unchanged`, no new
  version, `last_fetched_at` moves. Otherwise version n+1, outcome `changed`,
  `current_version_id` moves to it, and `last_changed_at` records when.
- One transaction per article. The article row is locked while its next version is
  chosen (on SQLite the whole database is, from BEGIN), and unique constraints on
  `articles.url` and `(article_id, version)` catch what a lock cannot (two first
  inserts); a conflict is retried from the start.
- Every fetch leaves a `fetches` row, including errors, skips and 304s; exactly one:
  a fetch's key finds the row an earlier attempt committed (its answer lost).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.extract.article import Article as ExtractedArticle
from crawler.extract.normalize import normalize_paragraph
from crawler.store.faults import fault_point
from crawler.store.models import OUTCOMES, Article, ArticleVersion, Fetch, Source
from crawler.store.transaction import in_transaction
from crawler.textdiff import chars_changed


@dataclass(frozen=True, slots=True)
class FetchInfo:
    """What the crawler knows about one HTTP fetch."""

    url: str
    source_id: int
    fetched_at: datetime
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    bytes: int | None = None
    elapsed_ms: int | None = None
    crawl_run_id: int | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None
    payload_digest: str | None = None
    key: str | None = None
    """The fetch's idempotency key: a retried write of the same fetch records nothing twice."""
    first_try: bool = False
    """The key was made for this very write: no earlier attempt can have recorded it (the
    lookup by key is skipped)."""


@dataclass(frozen=True, slots=True)
class StoreResult:
    outcome: str
    article_id: int | None = None
    version: int | None = None
    """The article's current version number after the write."""


def content_hash(title: str, paragraphs: tuple[str, ...] | list[str]) -> str:
    """SHA-256 over the normalised title and body; inside each, any whitespace is one space."""
    body = " ".join(normalize_paragraph(paragraph) for paragraph in paragraphs)
    text = normalize_paragraph(title) + "\n" + " ".join(body.split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ensure_source(engine: Engine, key: str, name: str, base_url: str, language: str) -> int:
    """The id of the source with this key, created or brought up to date."""

    def write(session: Session) -> int:
        source = session.scalars(select(Source).where(Source.key == key)).one_or_none()
        if source is None:
            source = Source(key=key, name=name, base_url=base_url, language=language)
            session.add(source)
        else:
            source.name, source.base_url, source.language = name, base_url, language
        session.flush()
        return source.id

    return in_transaction(engine, write)


def store_article(engine: Engine, article: ExtractedArticle, fetch: FetchInfo) -> StoreResult:
    """Archive one extracted article and its fetch, in one transaction."""
    digest = content_hash(article.title, article.paragraphs)

    def write(session: Session) -> StoreResult:
        done = _already_recorded(session, fetch)
        if done is not None:
            return done
        row, fresh = _locked_article(session, article.url, fetch.source_id, fetch.fetched_at)
        if article.published_at is not None:
            row.published_at = article.published_at
        row.last_fetched_at = max(row.last_fetched_at, fetch.fetched_at)
        row.etag, row.last_modified = fetch.etag, fetch.last_modified
        outcome, number = _version_of(session, row, digest, article, fetch.fetched_at, fresh)
        if outcome != "unchanged":
            fault_point("version_written", url=fetch.url)
        session.add(_fetch_row(fetch, outcome, row.id, None, article))
        session.flush()
        fault_point("fetch_written", url=fetch.url)
        return StoreResult(outcome, row.id, number)

    return in_transaction(engine, write)


def store_fetch(
    engine: Engine,
    fetch: FetchInfo,
    outcome: str,
    *,
    error: str | None = None,
    article_url: str | None = None,
    article: ExtractedArticle | None = None,
) -> StoreResult:
    """Record a fetch that produced no version: `not_modified`, `skipped` or `error`.

    When the fetch is of a known article (`article_url`), the row points to it, and
    a `not_modified` answer counts as having fetched it (`last_fetched_at` moves).
    `article`: what extraction made of a page that was skipped (its words, language).
    """
    if outcome not in OUTCOMES or outcome in ("new", "changed", "unchanged"):
        raise ValueError(f"store_fetch records not_modified, skipped or error, not {outcome!r}")

    def write(session: Session) -> StoreResult:
        done = _already_recorded(session, fetch)
        if done is not None:
            return done
        row = None
        if article_url is not None:
            row = session.scalars(select(Article).where(Article.url == article_url)).one_or_none()
        if row is not None and outcome == "not_modified":
            row.last_fetched_at = max(row.last_fetched_at, fetch.fetched_at)
        session.add(_fetch_row(fetch, outcome, row.id if row else None, error, article))
        return StoreResult(outcome, row.id if row else None)

    return in_transaction(engine, write)


def _already_recorded(session: Session, fetch: FetchInfo) -> StoreResult | None:
    """What an earlier attempt at this very fetch recorded, if its commit landed (the
    connection broke before the answer came back, so the caller tried again)."""
    if fetch.key is None or fetch.first_try:
        return None
    row = session.scalars(select(Fetch).where(Fetch.fetch_key == fetch.key)).one_or_none()
    if row is None:
        return None
    number = None
    if row.article_id is not None:
        number = session.scalar(
            select(ArticleVersion.version)
            .join(Article, Article.current_version_id == ArticleVersion.id)
            .where(Article.id == row.article_id)
        )
    return StoreResult(row.outcome, row.article_id, number)


def _version_of(
    session: Session,
    row: Article,
    digest: str,
    article: ExtractedArticle,
    fetched_at: datetime,
    fresh: bool = False,
) -> tuple[str, int]:
    """The versioning rule, for a locked article row: (outcome, current version number).

    The same text as the current version is `unchanged`; else a version n+1 becomes
    current, and from version 2 on the article's last change moves (never backwards).
    """
    current = (
        session.get(ArticleVersion, row.current_version_id) if row.current_version_id else None
    )
    if current is not None and current.content_hash == digest:
        return "unchanged", current.version
    # An article row made in this transaction has no versions yet (no query to know it).
    number = 1 if fresh else _next_version_number(session, row.id)
    fault_point("version_chosen", number=number)
    version = _new_version(row.id, number, digest, article, fetched_at, current)
    session.add(version)
    session.flush()
    row.current_version_id = version.id
    if number > 1:
        row.last_changed_at = max(row.last_changed_at or fetched_at, fetched_at)
    return ("new" if number == 1 else "changed"), number


def _locked_article(
    session: Session, url: str, source_id: int, now: datetime
) -> tuple[Article, bool]:
    """The article row for `url`, locked for this transaction, and whether it was made
    now (a new article)."""
    query = select(Article).where(Article.url == url).with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        # Another writer may insert the same URL first: the unique constraint on
        # articles.url then fails this transaction, and it starts again and finds theirs.
        row = Article(source_id=source_id, url=url, first_seen_at=now, last_fetched_at=now)
        session.add(row)
        session.flush()
        return row, True
    return row, False


def _next_version_number(session: Session, article_id: int) -> int:
    highest = session.scalar(
        select(func.max(ArticleVersion.version)).where(ArticleVersion.article_id == article_id)
    )
    return (highest or 0) + 1


def _new_version(
    article_id: int,
    number: int,
    digest: str,
    article: ExtractedArticle,
    fetched_at: datetime,
    previous: ArticleVersion | None,
) -> ArticleVersion:
    before = (previous.title, previous.body) if previous is not None else None
    return ArticleVersion(**version_values(article_id, number, digest, article, fetched_at, before))


def version_values(
    article_id: int,
    number: int,
    digest: str,
    article: ExtractedArticle,
    fetched_at: datetime,
    before: tuple[str, str] | None,
) -> dict[str, Any]:
    """The columns of an article's version `number`; `before`: the title and body of
    the version it follows, if any."""
    earlier = f"{before[0]}\n{before[1]}" if before is not None else ""
    added, removed = chars_changed(earlier, f"{article.title}\n{article.body}")
    return {
        "article_id": article_id,
        "version": number,
        "fetched_at": fetched_at,
        "content_hash": digest,
        "title": article.title,
        "body": article.body,
        "lead": article.lead,
        "authors": list(article.authors),
        "published_at": article.published_at,
        "modified_at": article.modified_at,
        "language": article.language,
        "word_count": article.word_count,
        "extractor": article.extractor,
        "tags": list(article.tags),
        "image_url": article.image_url,
        "chars_added": added,
        "chars_removed": removed,
        "title_changed": before is not None and before[0] != article.title,
    }


def _fetch_row(
    fetch: FetchInfo,
    outcome: str,
    article_id: int | None,
    error: str | None,
    article: ExtractedArticle | None = None,
) -> Fetch:
    return Fetch(**fetch_values(fetch, outcome, article_id, error, article))


def fetch_values(
    fetch: FetchInfo,
    outcome: str,
    article_id: int | None,
    error: str | None,
    article: ExtractedArticle | None = None,
) -> dict[str, Any]:
    """The columns of a fetch's row."""
    return {
        "fetch_key": fetch.key,
        "crawl_run_id": fetch.crawl_run_id,
        "source_id": fetch.source_id,
        "article_id": article_id,
        "url": fetch.url,
        "fetched_at": fetch.fetched_at,
        "http_status": fetch.http_status,
        "outcome": outcome,
        "error": error,
        "etag": fetch.etag,
        "last_modified": fetch.last_modified,
        "bytes": fetch.bytes,
        "elapsed_ms": fetch.elapsed_ms,
        "warc_file": fetch.warc_file,
        "warc_offset": fetch.warc_offset,
        "warc_record_id": fetch.warc_record_id,
        "payload_digest": fetch.payload_digest,
        "words": article.word_count if article else None,
        "language": article.language if article else None,
        "fallback": article.fallback if article else None,
    }
