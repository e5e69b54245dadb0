"""Faults that hit an article's write: a commit that landed but whose answer was lost
(the connection broke right after COMMIT), and a row the database refuses."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

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


@pytest_twisted.inlineCallbacks
def test_a_write_retried_after_a_lost_answer_is_recorded_once(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    listing = site / "kg/news.html"  # and a link to an article the site no longer has
    listing.write_text(
        listing.read_text(encoding="utf-8").replace(
            "</ul>", '<li><a href="/kg/news/199">Өчүрүлгөн кабар</a></li></ul>'
        ),
        encoding="utf-8",
    )
    lose = LoseOneAnswer("store_article", "store_fetch")
    with serving(site) as (server,), hooks(committed=lose):
        sources = user_sources(site / "sources.toml.in", server.origin)
        result = yield crawl(sources, db_url, FixedClock(), {"KGNEWS_DB_RETRY_BACKOFF_BASE": 0.01})
    assert sorted(lose.lost) == ["store_article", "store_fetch"]
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


@pytest_twisted.inlineCallbacks
def test_a_row_the_database_refuses_is_an_error_fetch_and_the_crawl_goes_on(
    archive: Engine, db_url: str
) -> None:
    refused: list[int] = []

    def refuse_the_first(**_details: object) -> None:
        if not refused:
            refused.append(1)
            too_long = sqlite3.DataError("value too long for type character varying(16)")
            raise DataError("INSERT INTO article_versions …", {}, too_long)

    with serving(SITE) as (server,), hooks(version_written=refuse_the_first):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        result = yield crawl(sources, db_url, FixedClock())
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
