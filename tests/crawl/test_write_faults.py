"""Faults that hit an article's write: a commit that landed but whose answer was lost
(the connection broke right after COMMIT), and a row the database refuses."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_twisted
from sqlalchemy import Engine, select
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session

from crawler.store.faults import hooks
from crawler.store.models import ArticleVersion, Fetch
from crawler.verify.check import verify
from tests.crawl.harness import FIXTURES, FixedClock, crawl, serving, user_sources

SITE = FIXTURES / "user-site"


class LoseOneAnswer:
    """Raise, once, what a driver raises when the connection breaks: after the first
    commit of each kind of write named, so that the write did land."""

    def __init__(self, *writes: str) -> None:
        self.pending = set(writes)
        self.lost: list[str] = []

    def __call__(self, work: str) -> None:
        kind = work.split(".")[0]
        if kind in self.pending:
            self.pending.discard(kind)
            self.lost.append(kind)
            broken = sqlite3.OperationalError("server closed the connection unexpectedly")
            raise OperationalError("COMMIT", {}, broken)


@pytest.mark.parametrize(
    ("batch", "writes"), [(100, ("store_batch",)), (1, ("store_article", "store_fetch"))]
)
@pytest_twisted.inlineCallbacks
def test_a_write_retried_after_a_lost_answer_is_recorded_once(
    archive: Engine, db_url: str, tmp_path: Path, batch: int, writes: tuple[str, ...]
) -> None:
    """Whether the fetches are written in one batch or one by one."""
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    listing = site / "kg/news.html"  # and a link to an article the site no longer has
    listing.write_text(
        listing.read_text(encoding="utf-8").replace(
            "</ul>", '<li><a href="/kg/news/199">Өчүрүлгөн кабар</a></li></ul>'
        ),
        encoding="utf-8",
    )
    lose = LoseOneAnswer(*writes)
    settings = {"KGNEWS_DB_RETRY_BACKOFF_BASE": 0.01, "KGNEWS_WRITE_BATCH_SIZE": batch}
    with serving(site) as (server,), hooks(committed=lose):
        sources = user_sources(site / "sources.toml.in", server.origin)
        result = yield crawl(sources, db_url, FixedClock(), settings)
    assert sorted(lose.lost) == sorted(writes)
    assert result.status == "finished"
    with Session(archive) as session:
        fetches = Counter(session.scalars(select(Fetch.url)))
        outcomes = Counter(session.scalars(select(Fetch.outcome)))
        versions = session.scalars(select(ArticleVersion.version)).all()
    assert set(fetches.values()) == {1}, fetches  # every fetch once
    assert outcomes == {"new": 3, "error": 1}  # not one "unchanged" from a second try
    assert versions == [1, 1, 1]
    counted = {k: n for k, n in result.sources[0].outcomes.items() if n}
    assert counted == {"new": 3, "error": 1}  # the summary counts each fetch once too


@pytest.mark.parametrize("batch", [100, 1])
@pytest_twisted.inlineCallbacks
def test_a_row_the_database_refuses_is_an_error_fetch_and_the_crawl_goes_on(
    archive: Engine, db_url: str, batch: int
) -> None:
    """In a batch, the refusal fails the whole batch: it is written again page by page,
    and only the page the database will not take is lost."""

    def refuse_102(url: str, **_details: object) -> None:
        if url.endswith("/102"):
            too_long = sqlite3.DataError("value too long for type character varying(16)")
            raise DataError("INSERT INTO article_versions …", {}, too_long)

    with serving(SITE) as (server,), hooks(version_written=refuse_102):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        result = yield crawl(sources, db_url, FixedClock(), {"KGNEWS_WRITE_BATCH_SIZE": batch})
    with Session(archive) as session:
        outcomes = Counter(session.scalars(select(Fetch.outcome)))
        errors = session.scalars(select(Fetch.error).where(Fetch.outcome == "error")).all()
        versions = session.scalars(select(ArticleVersion.version)).all()
    assert outcomes == {"new": 2, "error": 1}  # the page is accounted for, not lost
    assert errors == [
        "not archived: the database refused the write: value too long for type "
        "character varying(16)"
    ]
    assert versions == [1, 1]  # nothing of the refused write is kept
    assert result.write_errors == 1 and result.exit_code == 1  # and the exit status says so
    assert list(verify(archive, datetime.now(UTC))) == []


@pytest.mark.parametrize(
    ("bug", "said"),
    [
        (KeyError("current_version"), "KeyError: 'current_version'"),
        (RuntimeError(), "RuntimeError"),
    ],
)
@pytest_twisted.inlineCallbacks
def test_a_write_that_fails_on_a_bug_costs_that_page_only(
    archive: Engine, db_url: str, bug: Exception, said: str
) -> None:
    """Not a database error at all (one that says nothing, too): the batch is still
    written again page by page."""

    def break_on_102(url: str, **_details: object) -> None:
        if url.endswith("/102"):
            raise bug

    with serving(SITE) as (server,), hooks(version_written=break_on_102):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        result = yield crawl(sources, db_url, FixedClock())
    with Session(archive) as session:
        outcomes = Counter(session.scalars(select(Fetch.outcome)))
        errors = session.scalars(select(Fetch.error).where(Fetch.outcome == "error")).all()
    assert outcomes == {"new": 2, "error": 1}
    assert errors == [f"not archived: the write failed: {said}"]
    assert result.write_errors == 1 and result.exit_code == 1
