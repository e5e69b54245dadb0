"""Crawls that overlap, and a crawl killed with SIGKILL, on SQLite and PostgreSQL.

Each test holds one article request at the mirror (GatedMirrorServer) so it can act
while a crawl is known to be mid-run; nothing here sleeps (the heartbeat runs on a
twisted task.Clock the test moves).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest_twisted
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from twisted.internet import task, threads

from crawler.demo.mirror import Mirror
from crawler.store.models import Article, ArticleVersion, CrawlLock, CrawlRun, Fetch
from crawler.store.runs import HEARTBEAT_EVERY, STALE_AFTER
from tests.crawl.harness import (
    FIXTURES,
    FixedClock,
    GatedMirrorServer,
    crawl,
    site_with_more_articles,
    user_sources,
    user_sources_file,
)
from tests.helpers import KGNEWS, run_kgnews

SITE = FIXTURES / "user-site"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"]


def start_crawl(sources: Path, db_url: str, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "KGNEWS_DATABASE_URL"}
    return subprocess.Popen(
        [*KGNEWS, "crawl", "--sources", str(sources), "--db", db_url, *FAST, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_two_crawls_of_one_source_one_runs_one_says_already_running(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    with GatedMirrorServer(Mirror.load(SITE), "/kg/news/101") as server:
        sources = user_sources_file(tmp_path, server.origin)
        first = start_crawl(sources, db_url)
        assert server.arrived.wait(timeout=120), "the first crawl never reached the article"
        second = run_kgnews("crawl", "--sources", str(sources), "--db", db_url, *FAST)
        server.gate.set()
        _out, err = first.communicate(timeout=300)

    assert second.returncode == 0, second.stderr
    assert "example already running" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.returncode == 0, err
    with Session(archive) as session:
        runs = session.execute(select(CrawlRun.status, CrawlRun.sources)).all()
        assert runs == [("finished", ["example"])]  # the second run left no row
        assert session.scalar(select(func.count()).select_from(Article)) == 3
        assert session.scalar(select(func.count()).select_from(CrawlLock)) == 0


def consistent(engine: Engine) -> None:
    """No partial version, no orphan rows: every article's current version is its newest,
    numbered 1..n, and every fetch that names an article names one that exists."""
    with Session(engine) as session:
        for article in session.scalars(select(Article)):
            numbers = list(session.scalars(
                select(ArticleVersion.version).where(ArticleVersion.article_id == article.id).order_by(ArticleVersion.version)
            ))  # fmt: skip
            assert numbers == list(range(1, len(numbers) + 1)) and numbers
            assert (
                article.current_version is not None
                and article.current_version.version == numbers[-1]
            )
        orphans = session.scalar(
            select(func.count()).select_from(Fetch).outerjoin(Article, Article.id == Fetch.article_id)
            .where(Fetch.article_id.is_not(None), Article.id.is_(None))
        )  # fmt: skip
        assert orphans == 0


def test_a_killed_run_leaves_a_consistent_archive_and_the_next_run_finishes_it(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    with GatedMirrorServer(Mirror.load(site), "/kg/news/103") as server:
        sources = user_sources_file(tmp_path, server.origin)
        crawl = start_crawl(sources, db_url)
        assert server.arrived.wait(timeout=120), "the crawl never reached the last article"
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait(timeout=60)
        server.gate.set()
        consistent(archive)
        with Session(archive) as session:
            assert session.execute(select(CrawlRun.status)).scalars().all() == ["running"]
            assert session.scalar(select(func.count()).select_from(CrawlLock)) == 1
            stored_before = set(session.scalars(select(Article.url)))
        assert f"{server.origin}/kg/news/103" not in stored_before

        after = run_kgnews("crawl", "--sources", str(sources), "--db", db_url, *FAST)

    assert after.returncode == 0, after.stdout + after.stderr
    consistent(archive)
    with Session(archive) as session:
        statuses = session.execute(select(CrawlRun.status).order_by(CrawlRun.id)).scalars().all()
        assert statuses == ["interrupted", "finished"]
        urls = set(session.scalars(select(Article.url)))
        assert urls == {f"{server.origin}/kg/news/{n}" for n in (101, 102, 103)}
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 3
        assert session.scalar(select(func.count()).select_from(CrawlLock)) == 0


@pytest_twisted.inlineCallbacks
def test_a_running_crawl_keeps_its_locks_fresh(archive: Engine, db_url: str) -> None:
    # A lock whose heartbeat is older than STALE_AFTER is taken over by the next run, so
    # a crawl longer than that must beat. The beat runs on a clock the test moves.
    started = datetime(2024, 6, 3, 16, 0, tzinfo=UTC)
    clock, beats = FixedClock(started), task.Clock()
    with GatedMirrorServer(Mirror.load(SITE), "/kg/news/101") as server:
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        done = crawl(sources, db_url, clock, {"KGNEWS_HEARTBEAT_CLOCK": beats})
        arrived = yield threads.deferToThread(server.arrived.wait, 120)
        assert arrived, "the crawl never reached the article"
        with Session(archive) as session:
            assert session.scalars(select(CrawlLock.heartbeat_at)).all() == [started]
        clock.now = started + STALE_AFTER
        beats.advance(HEARTBEAT_EVERY.total_seconds())
        with Session(archive) as session:
            assert session.scalars(select(CrawlLock.heartbeat_at)).all() == [clock.now]
        server.gate.set()
        result = yield done
    assert result.status == "finished"


def test_concurrent_first_crawls_on_an_empty_database_all_proceed(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """Four timers fire at once on a fresh archive: one migrates, none fails."""
    with GatedMirrorServer(Mirror.load(SITE), "/never") as server:
        sources = user_sources_file(tmp_path, server.origin)
        crawls = [start_crawl(sources, db_url) for _ in range(4)]
        results = [(c.wait(timeout=300), *c.communicate()) for c in crawls]
    for code, _out, err in results:
        assert code == 0, err
        assert "Traceback" not in err and "kgnews: error" not in err, err
    ran = [err for _code, _out, err in results if "already running" not in err]
    assert len(ran) >= 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 3
    verified = run_kgnews("verify", "--db", db_url)
    assert verified.returncode == 0, verified.stdout


@pytest_twisted.inlineCallbacks
def test_a_failed_heartbeat_is_not_the_last_one(archive: Engine, db_url: str) -> None:
    # The database refuses one beat (a trigger stands in for a blip); the next one lands.
    started = datetime(2024, 6, 3, 16, 0, tzinfo=UTC)
    clock, beats = FixedClock(started), task.Clock()
    with GatedMirrorServer(Mirror.load(SITE), "/kg/news/101") as server:
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        done = crawl(sources, db_url, clock, {"KGNEWS_HEARTBEAT_CLOCK": beats})
        arrived = yield threads.deferToThread(server.arrived.wait, 120)
        assert arrived, "the crawl never reached the article"
        with archive.begin() as connection:
            for statement in BLIP[archive.dialect.name]:
                connection.exec_driver_sql(statement)
        clock.now = started + HEARTBEAT_EVERY
        beats.advance(HEARTBEAT_EVERY.total_seconds())  # refused
        with archive.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER refuse_beats" + DROP_ON[archive.dialect.name])
        clock.now = started + 2 * HEARTBEAT_EVERY
        beats.advance(HEARTBEAT_EVERY.total_seconds())  # lands
        with Session(archive) as session:
            assert session.scalars(select(CrawlLock.heartbeat_at)).all() == [clock.now]
        server.gate.set()
        result = yield done
    assert result.status == "finished"


BLIP = {
    "sqlite": [
        "CREATE TRIGGER refuse_beats BEFORE UPDATE ON crawl_locks "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION refuse_beat() RETURNS trigger AS "
        "$$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_beats BEFORE UPDATE ON crawl_locks "
        "FOR EACH ROW EXECUTE FUNCTION refuse_beat()",
    ],
}
DROP_ON = {"sqlite": "", "postgresql": " ON crawl_locks"}


@pytest_twisted.inlineCallbacks
def test_a_run_marked_interrupted_by_another_is_not_recorded_finished(
    archive: Engine, db_url: str
) -> None:
    # Taken over between two beats, the run ends before it beats again: it stays as
    # the taker recorded it, and does not write 'finished' over 'interrupted'.
    with GatedMirrorServer(Mirror.load(SITE), "/kg/news/101") as server:
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        done = crawl(sources, db_url, FixedClock(), {"KGNEWS_HEARTBEAT_CLOCK": task.Clock()})
        arrived = yield threads.deferToThread(server.arrived.wait, 120)
        assert arrived, "the crawl never reached the article"
        with Session(archive) as session, session.begin():
            session.execute(update(CrawlRun).values(status="interrupted"))
        server.gate.set()
        yield done
    with Session(archive) as session:
        assert session.scalars(select(CrawlRun.status)).all() == ["interrupted"]
        assert session.scalar(select(CrawlRun.new_count)) == 3  # its counts are written


@pytest_twisted.inlineCallbacks
def test_a_run_whose_locks_were_taken_over_stops_at_once(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    # Another run found this one's heartbeat stale, marked it interrupted and took its
    # lock; this run must stop rather than crawl the site beside it, and stay interrupted.
    started = datetime(2024, 6, 3, 16, 0, tzinfo=UTC)
    clock, beats = FixedClock(started), task.Clock()
    site = site_with_more_articles(SITE, tmp_path, 10)
    with GatedMirrorServer(Mirror.load(site), "/kg/news/101") as server:
        # One request at a time, a quarter second apart: the other articles wait in the
        # downloader's queue behind the held one, and must never be fetched once the
        # lock is gone.
        sources = [
            replace(source, delay=0.25)
            for source in user_sources(SITE / "sources.toml.in", server.origin)
        ]
        one_at_a_time = {"KGNEWS_HEARTBEAT_CLOCK": beats, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
        done = crawl(sources, db_url, clock, one_at_a_time)
        arrived = yield threads.deferToThread(server.arrived.wait, 120)
        assert arrived, "the crawl never reached the article"
        at_takeover = len(server.requests)
        with Session(archive) as session, session.begin():
            (ours,) = session.scalars(select(CrawlRun)).all()
            taker = CrawlRun(started_at=started, status="running", sources=["example"])
            session.add(taker)
            session.flush()
            ours.status = "interrupted"
            session.execute(update(CrawlLock).values(crawl_run_id=taker.id))
            taker_id, ours_id = taker.id, ours.id
        clock.now = started + HEARTBEAT_EVERY
        beats.advance(HEARTBEAT_EVERY.total_seconds())
        server.gate.set()
        result = yield done
        after = [path for _method, path, _headers in server.requests[at_takeover:]]
    assert result.lock_lost and result.status == "interrupted"
    assert after == ["/kg/news/101"]  # the held request finishes; nothing else is fetched
    with Session(archive) as session:
        statuses = dict(session.execute(select(CrawlRun.id, CrawlRun.status)).all())
        assert statuses == {ours_id: "interrupted", taker_id: "running"}
        assert session.scalars(select(CrawlLock.crawl_run_id)).all() == [taker_id]
