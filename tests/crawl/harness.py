"""Real crawls of loopback mirrors, inside the test process's Twisted reactor.

`serving(...)` starts mirror servers; `rebase(...)` points sources at them;
`crawl(...)` runs the real spider, pipeline and store with CrawlerRunner and gives
back what the crawl found. Settings differ from production only in speed: no
delays between requests and no retry backoff (the mirrors are on loopback).
"""

from __future__ import annotations

import shutil
import threading
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from twisted.internet import task
from twisted.internet.defer import Deferred

from crawler.clock import Clock
from crawler.crawl import CrawlResult, crawl_settings, result_of
from crawler.demo.mirror import Mirror, MirrorServer
from crawler.sources.loader import parse_sources
from crawler.sources.model import Source
from crawler.sources.registry import load_registry
from crawler.spiders.news import NewsSpider
from crawler.store.models import Article, ArticleVersion

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MIRRORS = FIXTURES / "mirrors"
FAST = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "KGNEWS_RETRY_BACKOFF_BASE": 0.0,
    "RETRY_TIMES": 1,
    "LOG_LEVEL": "WARNING",
    "KGNEWS_PROGRESS_INTERVAL": 0,
    "KGNEWS_SUMMARY": False,
    "KGNEWS_EXTRACT_WORKERS": 0,  # in the test's process (tests/crawl/test_extract_workers.py
}  # crawls with workers)


@contextmanager
def serving(*directories: Path) -> Iterator[list[MirrorServer]]:
    with ExitStack() as stack:
        yield [stack.enter_context(MirrorServer(Mirror.load(d))) for d in directories]


def rebase(source: Source, server: MirrorServer) -> Source:
    return source.rebased(server.origin)


def shipped(key: str, server: MirrorServer) -> Source:
    """A shipped source moved onto its mirror; on loopback it need not wait between requests."""
    return replace(rebase(load_registry().get(key), server), delay=0.0)


def user_sources(template: Path, origin: str) -> list[Source]:
    return parse_sources(
        template.read_text(encoding="utf-8").replace("{origin}", origin), str(template)
    )


def user_sources_file(directory: Path, origin: str, extra: str = "") -> Path:
    """The user site's sources file, pointed at `origin`, written as a user would keep it."""
    text = (FIXTURES / "user-site" / "sources.toml.in").read_text(encoding="utf-8")
    path = directory / "mine.toml"
    path.write_text(text.replace("{origin}", origin) + extra, encoding="utf-8")
    return path


def site_with_more_articles(original: Path, tmp_path: Path, count: int) -> Path:
    """A copy of the user site with `count` more articles (201…) on its first listing page."""
    site = Path(shutil.copytree(original, tmp_path / "site"))
    template = (site / "kg/news/103.html").read_text(encoding="utf-8")
    routes, links = [], []
    for n in range(201, 201 + count):
        (site / f"kg/news/{n}.html").write_text(template.replace("103", str(n)), encoding="utf-8")
        routes.append(f'"/kg/news/{n}" = "kg/news/{n}.html"')
        links.append(f'<li><a href="/kg/news/{n}">Кабар {n}</a></li>')
    toml = (site / "mirror.toml").read_text(encoding="utf-8")
    toml = toml.replace("[routes]\n", "[routes]\n" + "\n".join(routes) + "\n")
    (site / "mirror.toml").write_text(toml, encoding="utf-8")
    listing = (site / "kg/news.html").read_text(encoding="utf-8")
    listing = listing.replace("</ul>", "".join(links) + "</ul>")
    (site / "kg/news.html").write_text(listing, encoding="utf-8")
    return site


class FixedClock:
    """A clock tests set by hand."""

    def __init__(self, now: datetime = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def crawl(
    sources: list[Source],
    db_url: str,
    clock: Clock | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Deferred[CrawlResult]:
    # The batch timer never fires on its own: a batch is written when full, or at the end.
    timer = {"KGNEWS_WRITE_CLOCK": task.Clock()}
    runner = CrawlerRunner(crawl_settings(db_url, {**FAST, **timer, **(settings or {})}))
    crawler = runner.create_crawler(NewsSpider)
    done = runner.crawl(crawler, source_list=sources, clock=clock or FixedClock())
    done.addCallback(lambda _: result_of(crawler, [s.key for s in sources]))
    return done


def expectations(directory: Path) -> dict[str, Any]:
    return tomllib.loads((directory / "mirror.toml").read_text(encoding="utf-8"))


def on_mirror(url: str, mirror: Mirror, server: MirrorServer) -> str:
    """A real-site URL as the mirror serves it."""
    for origin in sorted(mirror.origins, key=len, reverse=True):
        if url.startswith(origin):
            return server.origin + url[len(origin) :]
    return url


def archived(engine: Engine) -> dict[str, ArticleVersion]:
    """Canonical URL → current version, for every article in the archive."""
    with Session(engine) as session:
        rows = session.execute(
            select(Article.url, ArticleVersion).join(
                ArticleVersion, ArticleVersion.id == Article.current_version_id
            )
        ).all()
        session.expunge_all()
        return dict(rows)  # type: ignore[arg-type]


class GatedMirrorServer(MirrorServer):
    """A mirror that holds the request for one path until the test opens the gate.

    `arrived` is set when that request comes in, so a test can act while a crawl is
    known to be in the middle of its run, without sleeping.
    """

    def __init__(self, mirror: Mirror, gated_path: str) -> None:
        super().__init__(mirror)
        self.gated_path = gated_path
        self.arrived = threading.Event()
        self.gate = threading.Event()
        original = self.RequestHandlerClass

        class Handler(original):  # type: ignore[misc,valid-type]
            def do_GET(handler) -> None:
                if handler.path == self.gated_path:
                    self.arrived.set()
                    self.gate.wait(timeout=120)
                super().do_GET()

        self.RequestHandlerClass = Handler

    def __exit__(self, *exc: object) -> None:
        self.gate.set()
        super().__exit__(*exc)
