"""Whatever a site sends, the crawl records each failure as a fetch with its reason,
stores nothing half-way, and goes on with the rest."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest_twisted
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.sources.loader import parse_sources
from crawler.store.models import Article, ArticleVersion, Fetch, SourceHealth
from tests.crawl.harness import crawl
from tests.crawl.hostile import HostileSite

MAX_SIZE = 1024 * 1024


def hostile_source(origin: str) -> list:  # type: ignore[type-arg]
    return parse_sources(
        f"""
[[sources]]
key = "hostile"
name = "Hostile"
language = "ky"
feeds = ["{origin}/feed-broken", "{origin}/feed-bomb", "{origin}/feed-entities", "{origin}/rss"]
sitemaps = ["{origin}/sitemap.xml.gz"]
listings = ["{origin}/kg/news", "{origin}/kg/empty", "{origin}/kg/blank"]
article_pattern = '/kg/news/(?P<id>\\d+)$'
body_selector = "article.body"
""",
        "hostile.toml",
    )


@pytest_twisted.inlineCallbacks
def test_every_failure_is_a_fetch_with_its_reason(archive: Engine, db_url: str) -> None:
    with HostileSite(bomb_size=20 * MAX_SIZE) as site:
        result = yield crawl(
            hostile_source(site.origin),
            db_url,
            settings={"DOWNLOAD_MAXSIZE": MAX_SIZE, "DOWNLOAD_WARNSIZE": 0},
        )
        rate_limited = site.seen("/kg/news/10")
        private = [p for _, p in site.requests if p.startswith("/private/")]

    assert result.status == "finished"
    with Session(archive) as session:
        fetches = {url.split("/", 3)[3]: (outcome, status, error) for url, outcome, status, error in
                   session.execute(select(Fetch.url, Fetch.outcome, Fetch.http_status, Fetch.error))}  # fmt: skip
        stored = set(session.scalars(select(Article.url)))
        versions = session.scalar(select(func.count()).select_from(ArticleVersion))

    def error(path: str) -> str:
        outcome, _status, reason = fetches[path]
        assert outcome == "error", (path, fetches[path])
        return str(reason)

    assert stored == {
        f"{site.origin}/kg/news/1",
        f"{site.origin}/kg/news/10",
        f"{site.origin}/kg/news/11",
    }
    assert versions == 3  # nothing half-stored
    assert fetches["kg/news/1"][0] == fetches["kg/news/11"][0] == "new"
    assert "HTTP 404" in error("kg/news/2") and fetches["kg/news/2"][1] == 404
    assert "HTTP 410" in error("kg/news/3")
    assert "HTTP 500" in error("kg/news/4")
    assert "redirect loop" in error("kg/news/5")
    assert "redirected to another site" in error("kg/news/6")
    assert "not a web page: content type image/png" in error("kg/news/7")
    assert "closed before the whole page arrived" in error("kg/news/8")
    assert "1048576" in error("kg/news/9")  # the gzip bomb stops at DOWNLOAD_MAXSIZE
    too_large = error("kg/news/12")  # no Content-Length: the limit is met on the way
    assert (
        too_large
        == "article: page too large: the download passed the size limit (DOWNLOAD_MAXSIZE)"
    )
    assert error("kg/news/13").startswith("no article: ")  # an error, not "skipped" (zxx)
    assert error("kg/empty").startswith("listing: empty page")
    assert error("kg/blank") == "listing: empty page: not one link on it"
    assert "feed: malformed XML" in error("feed-broken")
    assert "gzip data inflates past" in error("sitemap.xml.gz")
    assert "declares XML entities" in error("feed-entities")  # our guard, not libxml2's
    bomb = error("feed-bomb")  # libxml2's own limit, or our check of the entity declarations
    assert "entity amplification" in bomb or "declares XML entities" in bomb
    # 429 then 200: retried, after the Retry-After the site asked for
    assert fetches["kg/news/10"][0] == "new"
    assert len(rate_limited) == 2 and rate_limited[1] - rate_limited[0] >= 1.0
    assert private == []  # robots.txt


@pytest_twisted.inlineCallbacks
def test_the_failures_are_counted_in_the_sources_health(archive: Engine, db_url: str) -> None:
    with HostileSite(bomb_size=20 * MAX_SIZE) as site:
        yield crawl(
            hostile_source(site.origin),
            db_url,
            settings={"DOWNLOAD_MAXSIZE": MAX_SIZE, "DOWNLOAD_WARNSIZE": 0},
        )
        other = urlsplit(site.other_site).hostname
    with Session(archive) as session:
        (health,) = session.scalars(select(SourceHealth)).all()
    assert health.off_site_redirects == {other: 1}
    assert health.new_count == 3
    for status in ("404", "410", "500"):  # the status says what happened: kept apart
        assert health.refusals[f"article: HTTP {status}"] == 1, health.refusals
    with Session(archive) as session:
        errors = session.scalars(select(Fetch.error)).all()
    article_pages = [e for e in errors if not (e or "").startswith(("feed", "sitemap", "listing"))]
    assert health.pages_fetched == len(article_pages)  # discovery failures are not pages


@pytest_twisted.inlineCallbacks
def test_the_shipped_size_cap_refuses_a_page_over_ten_mib(archive: Engine, db_url: str) -> None:
    from crawler.settings import DOWNLOAD_MAXSIZE

    assert DOWNLOAD_MAXSIZE == 10 * 1024 * 1024  # Scrapy's own default is 1 GiB
    with HostileSite(bomb_size=11 * 1024 * 1024) as site:  # the bomb: 11 MiB inflated
        sources = parse_sources(
            f"""
[[sources]]
key = "big"
name = "Big"
language = "ky"
listings = ["{site.origin}/kg/big"]
article_pattern = '/kg/news/(?P<id>\\d+)$'
""",
            "big.toml",
        )
        yield crawl(sources, db_url)  # with the shipped settings: no size override
    with Session(archive) as session:
        (error,) = session.scalars(select(Fetch.error).where(Fetch.url.endswith("/kg/news/9")))
    assert "page too large" in error or "10485760" in error, error
