"""Every shipped source, crawled from its mirror with its own registry entry, on SQLite
and PostgreSQL: the archive holds exactly the articles the mirror says, with their
titles, dates and bodies; robots.txt is obeyed; a second crawl adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_twisted
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.sources.registry import load_registry
from crawler.store.models import Article, ArticleVersion, Fetch
from tests.crawl.harness import (
    MIRRORS,
    FixedClock,
    archived,
    crawl,
    expectations,
    on_mirror,
    serving,
    shipped,
)

KEYS = [key for key in load_registry().source_keys() if (MIRRORS / key / "mirror.toml").is_file()]
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_every_shipped_source_has_a_mirror() -> None:
    assert set(KEYS) == set(load_registry().source_keys())
    assert len(KEYS) >= 8


def disallowed(mirror: Path) -> list[str]:
    lines = (mirror / "robots.txt").read_text(encoding="utf-8").splitlines()
    return [
        line.split(":", 1)[1].strip()
        for line in lines
        if line.lower().startswith("disallow:") and line.split(":", 1)[1].strip()
    ]


def totals(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Article)) or 0,
            session.scalar(select(func.count()).select_from(ArticleVersion)) or 0,
        )


@pytest.mark.parametrize("key", KEYS)
@pytest_twisted.inlineCallbacks
def test_mirror_crawl(key: str, archive: Engine, db_url: str) -> None:
    directory = MIRRORS / key
    expected = expectations(directory)
    with serving(directory) as (server,):
        result = yield crawl([shipped(key, server)], db_url, FixedClock(NOW))
        found = archived(archive)
        wanted = {on_mirror(a["url"], server.mirror, server): a for a in expected["articles"]}
        skipped = {on_mirror(s["url"], server.mirror, server) for s in expected.get("skipped", [])}
        requested = [path for _method, path, _headers in server.requests]
        first = totals(archive)
        again = yield crawl([shipped(key, server)], db_url, FixedClock(NOW + timedelta(minutes=5)))

    assert result.status == "finished" and again.status == "finished"
    assert len(wanted) >= 3
    assert set(found) == set(wanted), "each article once, nothing else"
    for url, article in wanted.items():
        version = found[url]
        paragraphs = version.body.split("\n")
        assert version.title == article["title"], url
        if "published_at" in article:
            assert version.published_at == datetime.fromisoformat(article["published_at"]), url
        assert (paragraphs[0], paragraphs[-1]) == (article["first"], article["last"]), url
        assert len(paragraphs) == article["paragraphs"], url
        assert version.language == "ky"
    with Session(archive) as session:
        outcomes = dict(session.execute(select(Fetch.url, Fetch.outcome)).all())
        errors = [
            (u, e)
            for u, e in session.execute(
                select(Fetch.url, Fetch.error).where(Fetch.outcome == "error")
            )
        ]
    assert errors == []
    for url in skipped:
        assert outcomes[url] == "skipped"
    assert "/robots.txt" in requested
    for prefix in disallowed(directory):
        assert not [p for p in requested if p.startswith(prefix)], f"robots.txt forbids {prefix}"
    assert totals(archive) == first, "a second crawl added an article or a version"
