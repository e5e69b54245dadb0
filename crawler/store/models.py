"""The archive's tables. Their names and columns are the interface people write SQL against.

docs/schema.md describes each column; migrations/ creates them. Keep the three in step:
tests/store/test_migrations.py fails when the models and the migrated schema differ.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from crawler.store.types import UTCDateTime, json_type

# Every outcome a fetch can have; see crawler/store/versioning.py for when each is used.
OUTCOMES = ("new", "changed", "unchanged", "not_modified", "skipped", "error")
RUN_STATUSES = ("running", "finished", "failed", "interrupted")

# Named constraints, so that migrations (and SQLite's batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit keys on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit (and the rowid).
Id = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Source(Base):
    """A news site, as described in the sources registry."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    base_url: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))


class Article(Base):
    """One article, identified by its canonical URL; its text lives in its versions."""

    __tablename__ = "articles"
    __table_args__ = (Index(None, "source_id", "published_at"), Index(None, "first_seen_at"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(Text, unique=True)
    first_seen_at: Mapped[datetime]
    last_fetched_at: Mapped[datetime]
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True)
    )
    published_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]
    """When an edit was last seen (the fetch of the newest version after the first);
    NULL while the article has one version."""
    etag: Mapped[str | None] = mapped_column(Text)
    """Validators of the last full answer, sent back on the next fetch (If-None-Match…)."""
    last_modified: Mapped[str | None] = mapped_column(Text)

    source: Mapped[Source] = relationship()
    current_version: Mapped[ArticleVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


# The small columns the statistics queries read (docs/queries.sql), as one covering index:
# they come after the body in each row, so a query that read them from the table would
# walk every body's pages.
VERSION_STATS = (
    "fetched_at", "version", "article_id", "word_count", "chars_added", "chars_removed",
    "title_changed", "language",
)  # fmt: skip


class ArticleVersion(Base):
    """The text of an article as it was at one time. Never updated once written."""

    __tablename__ = "article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "version"),
        # Covering the statistics queries, so they never read the bodies (docs/schema.md).
        Index("ix_article_versions_fetched_at_version", *VERSION_STATS),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    version: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(json_type())
    published_at: Mapped[datetime | None]
    modified_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    word_count: Mapped[int] = mapped_column(Integer)
    extractor: Mapped[str] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(json_type())
    image_url: Mapped[str | None] = mapped_column(Text)
    chars_added: Mapped[int] = mapped_column(Integer, default=0)
    """Characters of title and body this version adds to the one before (all, for version 1)."""
    chars_removed: Mapped[int] = mapped_column(Integer, default=0)
    title_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether the title differs from the version before."""


class CurrentAuthor(Base):
    """One author of an article's current version. Kept by triggers (migration 0011)
    whenever the current version changes; `top_authors` counts these rows."""

    __tablename__ = "current_authors"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    """The author's place in the version's list, from 0."""
    author: Mapped[str] = mapped_column(Text)


class LateEdit(Base):
    """An article edited more than 24 hours after its published_at, with the time of the
    first such edit. Kept by triggers (migration 0011); `edited_late` reads it."""

    __tablename__ = "late_edits"
    __table_args__ = (Index(None, "first_late_edit_at"),)

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    first_late_edit_at: Mapped[datetime]


# Filled by the database's own triggers from the tables above; never written by kgnews.
SUMMARY_TABLES = ("current_authors", "late_edits")


class CrawlRun(Base):
    """One run of `kgnews crawl`: when, over which sources, and what it found."""

    __tablename__ = "crawl_runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    sources: Mapped[list[str]] = mapped_column(json_type())
    node: Mapped[str | None] = mapped_column(Text)
    """The crawl node that ran it (KGNEWS_NODE, set by `kgnews schedule`); NULL otherwise."""
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    changed_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    not_modified_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)


class CrawlLock(Base):
    """Which run is crawling a source now; a second crawl of it stays away."""

    __tablename__ = "crawl_locks"

    source_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    host: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class DiscoveryPage(Base):
    """A feed as last read whole: its validators make the next request of it conditional."""

    __tablename__ = "discovery_pages"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime]


class Fetch(Base):
    """Every HTTP fetch of an article page, including errors and 304s."""

    __tablename__ = "fetches"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        Index(None, "url"),
        Index(None, "source_id", "fetched_at"),
        Index(None, "article_id", "fetched_at"),
        Index(None, "crawl_run_id"),
        Index(None, "payload_digest"),
        Index(None, "fetch_key", unique=True),
        Index(None, "outcome", "source_id", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime]
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    bytes: Mapped[int | None] = mapped_column(Integer)
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    # Where the raw response is kept (crawler.capture): file name in the WARC directory,
    # byte offset of its record, the record's id, and the payload's digest.
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(Text)
    payload_digest: Mapped[str | None] = mapped_column(String(64))
    # What extraction made of the page (for source health): words of the body, the
    # language detected, and why the source's body selector was not used, if it was not.
    words: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(16))
    fallback: Mapped[str | None] = mapped_column(Text)
    # Given by the crawler before the first write: a write retried after a lost commit
    # answer finds its row by it, so a fetch is never recorded twice.
    fetch_key: Mapped[str | None] = mapped_column(String(32))


class SourceHealth(Base):
    """One source's numbers after one crawl run, and what in them broke from its history."""

    __tablename__ = "source_health"
    __table_args__ = (
        UniqueConstraint("crawl_run_id", "source_id"),
        Index(None, "source_id", "measured_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    measured_at: Mapped[datetime]
    links_found: Mapped[int] = mapped_column(Integer)
    pages_fetched: Mapped[int] = mapped_column(Integer)
    new_count: Mapped[int] = mapped_column(Integer)
    changed_count: Mapped[int] = mapped_column(Integer)
    unchanged_count: Mapped[int] = mapped_column(Integer)
    not_modified_count: Mapped[int] = mapped_column(Integer)
    skipped_count: Mapped[int] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer)
    refusals: Mapped[dict[str, int]] = mapped_column(json_type())
    selector_pages: Mapped[int] = mapped_column(Integer)
    selector_hits: Mapped[int] = mapped_column(Integer)
    median_words: Mapped[float | None] = mapped_column(Float)
    trailing_median_words: Mapped[float | None] = mapped_column(Float)
    languages: Mapped[dict[str, int]] = mapped_column(json_type())
    last_new_at: Mapped[datetime | None]
    usual_gap_hours: Mapped[float | None] = mapped_column(Float)
    off_site_redirects: Mapped[dict[str, int]] = mapped_column(json_type())
    warnings: Mapped[list[str]] = mapped_column(json_type())


# Made by migration 0004 in SQL, not from these models: views, and full-text search (an
# FTS5 table and its shadow tables on SQLite, a generated tsvector column on PostgreSQL).
VIEWS = ("latest_versions", "version_changes")
SEARCH_TABLE = "version_search"
SEARCH_COLUMN = "search_vector"


def is_modelled(name: str | None, type_: str) -> bool:
    """Whether Alembic's comparisons should look at this schema object."""
    if type_ == "table" and name and (name in VIEWS or name.startswith(SEARCH_TABLE)):
        return False
    return not (type_ in ("column", "index") and name and SEARCH_COLUMN in name)
