"""PostgreSQL going away mid-crawl, through a proxy the test cuts (the shared server is
never touched): a short outage loses nothing; a long one stops the crawl with one line
and a non-zero exit, and the next run fetches what was not recorded."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.demo.mirror import Mirror
from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import upgrade
from crawler.store.models import Article, CrawlRun, Fetch
from tests.conftest import fresh_database
from tests.crawl.harness import (
    FIXTURES,
    GatedMirrorServer,
    site_with_more_articles,
    user_sources_file,
)
from tests.crawl.proxy import CuttableProxy
from tests.helpers import KGNEWS, run_kgnews

pytestmark = pytest.mark.postgres
SITE = FIXTURES / "user-site"


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[Engine, str, CuttableProxy]]:
    """A fresh PostgreSQL archive, and its URL through a proxy the test can cut."""
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(resolve_url(url))
        upgrade(engine)
        parts = urlsplit(url)
        with CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5432)) as proxy:
            netloc = f"{parts.username}@127.0.0.1:{proxy.port}"
            yield engine, urlunsplit(parts._replace(netloc=netloc)), proxy
        engine.dispose()


def crawl_through(sources: Path, url: str, *settings: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*KGNEWS, "crawl", "--sources", str(sources), "--db", url, "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "KGNEWS_DB_RETRY_BACKOFF_BASE=0.1",
         "-s", "KGNEWS_DB_RETRY_BACKOFF_MAX=0.5", *settings],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def lines_of(crawl: subprocess.Popen[str], bound: float = 300) -> Iterator[str]:
    """The crawl's stderr, line by line; a crawl that hangs is killed after `bound`
    seconds (its stderr then ends), so the test fails instead of waiting for ever."""
    assert crawl.stderr is not None
    watchdog = threading.Timer(bound, crawl.kill)
    watchdog.start()
    try:
        for line in crawl.stderr:  # noqa: UP028 - `yield from` would close the pipe on exit
            yield line
    finally:
        watchdog.cancel()


def test_a_short_outage_loses_nothing(
    proxied: tuple[Engine, str, CuttableProxy], tmp_path: Path
) -> None:
    engine, url, proxy = proxied
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    with GatedMirrorServer(Mirror.load(site), "/kg/news/103") as server:
        crawl = crawl_through(user_sources_file(tmp_path, server.origin), url, "-v")
        assert server.arrived.wait(timeout=120), "the crawl never reached the last article"
        proxy.cut()
        server.gate.set()  # the last page arrives while the database is away
        assert crawl.stderr is not None
        for line in lines_of(crawl):  # wait until a write has failed and is to be tried again
            if "database write failed, again in" in line:
                break
        proxy.restore()
        _out, err = crawl.communicate(timeout=300)
    assert crawl.returncode == 0, err
    assert "Traceback" not in err
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
        assert session.scalars(select(CrawlRun.status)).all() == ["finished"]
        urls = session.scalars(select(Fetch.url)).all()
        kept = session.scalar(select(func.count()).where(Fetch.warc_file.is_not(None)))
    assert kept == 3  # the raw page that came during the outage is kept too
    assert sorted(urlsplit(u).path for u in urls) == [f"/kg/news/{n}" for n in (101, 102, 103)]
    assert run_kgnews("verify", "--db", url).returncode == 0


def test_an_outage_that_lasts_stops_the_crawl_and_the_next_run_catches_up(
    proxied: tuple[Engine, str, CuttableProxy], tmp_path: Path
) -> None:
    engine, url, proxy = proxied
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    with GatedMirrorServer(Mirror.load(site), "/kg/news/103") as server:
        sources = user_sources_file(tmp_path, server.origin)
        # Extracted as each page arrives and written alone, the pages before the gate are
        # archived by the time it is reached (in workers they may still be in hand, in a
        # batch still queued: not recorded either).
        crawl = crawl_through(
            sources, url, "-s", "KGNEWS_DB_RETRY_SECONDS=1", "-s", "KGNEWS_EXTRACT_WORKERS=0",
            "-s", "KGNEWS_WRITE_BATCH_SIZE=1",
        )  # fmt: skip
        assert server.arrived.wait(timeout=120), "the crawl never reached the last article"
        proxy.cut()
        server.gate.set()
        _out, err = crawl.communicate(timeout=300)
        assert crawl.returncode == 1, err
        assert "Traceback" not in err
        line = err.strip().splitlines()[-1]
        assert line.startswith("kgnews: error: the database went away and did not come back")
        assert "1 fetched pages were not recorded and are fetched again by the next run" in line
        proxy.restore()
        after = run_kgnews("crawl", "--sources", str(sources), "--db", url,
                           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False")  # fmt: skip
    assert after.returncode == 0, after.stderr
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3  # each once
        statuses = session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)).all()
    assert statuses == ["interrupted", "finished"]  # the first could not close itself
    assert run_kgnews("verify", "--db", url).returncode == 0


def test_a_crawl_that_gives_up_on_the_database_fetches_nothing_more(
    proxied: tuple[Engine, str, CuttableProxy], tmp_path: Path
) -> None:
    # Forty more pages, a quarter of a second apart: when the crawl gives up on the
    # database (after 1 s of retries) most are still to come, and none may be fetched
    # only to be lost. At most the request already on the wire finishes.
    _archive, url, proxy = proxied
    site = site_with_more_articles(SITE, tmp_path, 40)
    with GatedMirrorServer(Mirror.load(site), "/kg/news/101") as server:
        sources = user_sources_file(tmp_path, server.origin)
        sources.write_text(  # (the site's own delay: a source's 0 would win over -s DOWNLOAD_DELAY)
            sources.read_text(encoding="utf-8").replace("delay = 0.0", "delay = 0.25"),
            encoding="utf-8",
        )
        crawl = crawl_through(
            sources, url, "-v", "-s", "KGNEWS_DB_RETRY_SECONDS=1",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
        )  # fmt: skip
        assert server.arrived.wait(timeout=120), "the crawl never reached the article"
        proxy.cut()
        server.gate.set()
        assert crawl.stderr is not None
        for line in lines_of(crawl):
            if "stopping the crawl" in line:
                break
        else:
            raise AssertionError("the crawl never gave up on the database")
        at_give_up = len(server.requests)
        _out, err = crawl.communicate(timeout=300)
        after = [path for _method, path, _headers in server.requests[at_give_up:]]
    assert crawl.returncode == 1, err
    assert len(after) <= 1, after
