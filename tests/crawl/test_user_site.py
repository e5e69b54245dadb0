"""A user's own site, described in a sources file, is crawled with no code change."""

from __future__ import annotations

from datetime import datetime

import pytest_twisted
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.store.models import Fetch
from tests.crawl.harness import (
    FIXTURES,
    archived,
    crawl,
    expectations,
    on_mirror,
    serving,
    user_sources,
)

SITE = FIXTURES / "user-site"


@pytest_twisted.inlineCallbacks
def test_users_site_from_a_sources_file(archive: Engine, db_url: str) -> None:
    expected = expectations(SITE)
    with serving(SITE) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        result = yield crawl(sources, db_url)
        found = archived(archive)
        wanted = {on_mirror(a["url"], server.mirror, server): a for a in expected["articles"]}
        requested = [path for _method, path, _headers in server.requests]

    assert result.status == "finished"
    assert set(found) == set(wanted)  # each once, whatever URL led to it
    for url, article in wanted.items():
        version = found[url]
        paragraphs = version.body.split("\n")
        assert version.title == article["title"]
        assert version.published_at == datetime.fromisoformat(article["published_at"])
        assert len(paragraphs) == article["paragraphs"]
        assert (paragraphs[0], paragraphs[-1]) == (article["first"], article["last"])
        assert version.language == "ky"
    assert "/robots.txt" in requested
    assert not any(path.startswith("/admin/") for path in requested)  # robots.txt obeyed
    # the feed links 102 with ?utm_…, the listing without: asked for once, without the
    # tracking parameters, whichever link came first
    assert requested.count("/kg/news/102") == 1
    assert not any("utm_" in path for path in requested)
    with Session(archive) as session:
        assert session.scalar(select(func.count()).select_from(Fetch)) == 3
        assert not session.scalar(select(func.count()).where(Fetch.url.contains("utm_")))
