"""Crawls whose pages are extracted in worker processes, on every core: the archive is
the one an in-process crawl makes, and a worker killed mid-page costs that page only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import Session

from crawler.store.engine import make_engine
from crawler.store.models import Fetch
from tests.crawl.harness import (
    FIXTURES,
    archived,
    crawl,
    on_mirror,
    serving,
    site_with_more_articles,
    user_sources,
)

SITE = FIXTURES / "user-site"
WORKERS = {"KGNEWS_EXTRACT_WORKERS": 2}


def snapshot(engine: Engine) -> dict[str, Any]:
    """What a user reads in the archive: each article's text and the outcome of each fetch."""
    with Session(engine) as session:
        fetches = sorted(
            (url, outcome, error or "")
            for url, outcome, error in session.execute(
                select(Fetch.url, Fetch.outcome, Fetch.error)
            )
        )
    articles = {
        url: (v.version, v.title, v.body, v.published_at, v.language, v.word_count)
        for url, v in archived(engine).items()
    }
    return {"articles": articles, "fetches": fetches}


@pytest_twisted.inlineCallbacks
def test_pages_extracted_in_workers_make_the_archive_an_in_process_crawl_makes(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = site_with_more_articles(SITE, tmp_path, 30)
    alone = f"sqlite:///{tmp_path / 'in-process.sqlite3'}"
    with serving(site) as (server,):
        sources = user_sources(site / "sources.toml.in", server.origin)
        first = yield crawl(sources, alone)
        second = yield crawl(sources, db_url, settings=WORKERS)
    assert first.status == second.status == "finished"
    expected = snapshot(make_engine(make_url(alone)))
    assert len(expected["articles"]) == 33
    assert snapshot(archive) == expected


@pytest_twisted.inlineCallbacks
def test_a_worker_killed_mid_page_makes_that_page_an_error_and_the_crawl_goes_on(
    archive: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker that takes article 102 kills itself (SIGKILL) while on it; the other
    # articles are extracted by the other worker and by the one started in its place.
    monkeypatch.setenv("KGNEWS_FAULT_POINT", "extracting:1:/kg/news/102")
    with serving(SITE) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        result = yield crawl(sources, db_url, settings=WORKERS)
        killed = on_mirror("https://kabarlar.example/kg/news/102", server.mirror, server)
        others = [
            on_mirror(f"https://kabarlar.example/kg/news/{n}", server.mirror, server)
            for n in (101, 103)
        ]
        found = set(archived(archive))
        with Session(archive) as session:
            outcome, error = session.execute(
                select(Fetch.outcome, Fetch.error).where(Fetch.url == killed)
            ).one()
        monkeypatch.delenv("KGNEWS_FAULT_POINT")
        yield crawl(sources, db_url, settings=WORKERS)  # the next run: nothing kills it
        found_next = set(archived(archive))

    assert result.status == "finished"
    assert found == set(others)
    assert outcome == "error"
    assert error == "not extracted: extraction worker died while working on it (killed by SIGKILL)"
    assert found_next == {*others, killed}
