"""Ctrl-C and systemd's SIGTERM on a real crawl, with real signals, on both backends.

The crawl is held at one article (GatedMirrorServer) so the signal is known to arrive
mid-run; the test then lets that page through. Nothing sleeps: the second signal waits
for the line the crawl prints when it has taken the first.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.demo.mirror import Mirror
from crawler.store.models import Article, CrawlLock, CrawlRun
from tests.crawl.harness import FIXTURES, GatedMirrorServer, user_sources_file
from tests.crawl.test_overlap_and_crash import start_crawl
from tests.helpers import run_kgnews

SITE = FIXTURES / "user-site"


def verified(db_url: str) -> None:
    result = run_kgnews("verify", "--db", db_url)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_one_signal_stops_gracefully_and_says_what_was_archived(
    archive: Engine, db_url: str, tmp_path: Path, signum: int, code: int
) -> None:
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    with GatedMirrorServer(Mirror.load(site), "/kg/news/103") as server:
        crawl = start_crawl(user_sources_file(tmp_path, server.origin), db_url)
        assert server.arrived.wait(timeout=120), "the crawl never reached the last article"
        os.kill(crawl.pid, signum)
        server.gate.set()  # the page in hand is let through
        _out, err = crawl.communicate(timeout=120)
    assert crawl.returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "kgnews: interrupted: 3 articles archived, run #1"
    with Session(archive) as session:
        assert session.scalars(select(CrawlRun.status)).all() == ["interrupted"]
        assert session.scalar(select(CrawlRun.new_count)) == 3  # its true counts
        assert session.scalar(select(func.count()).select_from(CrawlLock)) == 0
        assert session.scalar(select(func.count()).select_from(Article)) == 3
    verified(db_url)


def test_a_second_signal_stops_at_once_and_leaves_a_valid_archive(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    with GatedMirrorServer(Mirror.load(site), "/kg/news/103") as server:
        sources = user_sources_file(tmp_path, server.origin)
        # Extracted as each page arrives, the two pages before the gate are archived by
        # the time it is reached. (In workers they may still be in hand when the second
        # signal comes; dropped then, they are fetched again by the next run.)
        crawl = start_crawl(sources, db_url, "-s", "KGNEWS_EXTRACT_WORKERS=0")
        assert server.arrived.wait(timeout=120), "the crawl never reached the last article"
        os.kill(crawl.pid, signal.SIGINT)
        assert crawl.stderr is not None
        for line in crawl.stderr:  # the crawl took the first signal
            if "stopping once the pages in hand are archived" in line:
                break
        os.kill(crawl.pid, signal.SIGINT)
        _out, err = crawl.communicate(timeout=120)
        assert crawl.returncode == 130, err
        assert "Traceback" not in err
        assert "kgnews: stopped at once: 2 articles archived; run #1 is left 'running'" in err
        verified(db_url)
        server.gate.set()
        after = run_kgnews("crawl", "--sources", str(sources), "--db", db_url, "-s",
                           "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False")  # fmt: skip
    assert after.returncode == 0, after.stderr
    with Session(archive) as session:
        statuses = session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)).all()
        assert statuses == ["interrupted", "finished"]  # the next run marked it
        assert session.scalar(select(func.count()).select_from(Article)) == 3
    verified(db_url)
