"""The one spider: reads sources from the registry and finds their articles.

Navigation only: feeds, sitemaps and listing pages give article links; an article
page is handed to the pipeline as it came (crawler.items.ArticlePage), and a fetch
that failed as a FailedFetch. It never reads an article's text.

    scrapy crawl news                      # every source of the shipped registry
    scrapy crawl news -a source=azattyk,bbc
    scrapy crawl news -a sources=my-sites.toml -a source=example
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from sqlalchemy.exc import SQLAlchemyError
from twisted.python.failure import Failure

from crawler.clock import Clock, utc_now
from crawler.discovery import (
    DiscoveryError,
    Link,
    listing_links,
    maybe_gunzip,
    next_page,
    parse_feed,
    parse_sitemap,
)
from crawler.errors import DatabaseError
from crawler.extract.dates import zone
from crawler.extract.errors import NoArticle
from crawler.extract.html_cleanup import parse_html
from crawler.fetch_errors import describe_failure
from crawler.frontier import Frontier, Known, is_due
from crawler.items import ArticlePage, FailedFetch
from crawler.middlewares import OverBudget, StoppedAtOnce
from crawler.politeness import pacing
from crawler.sources.model import Source
from crawler.sources.registry import load_registry
from crawler.store.discovery_pages import Validators, read_validators, remember_validators
from crawler.store.engine import make_engine, resolve_url
from crawler.urls import without_tracking


class NewsSpider(Spider):
    name = "news"
    recheck: str = "due"
    """KGNEWS_RECHECK: "due" (revisit what is due), "all" (every known article), "none"."""
    frontier: Frontier

    def __init__(
        self,
        source: str | None = None,
        sources: str | None = None,
        *,
        source_list: list[Source] | None = None,
        clock: Clock = utc_now,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if source_list is None:
            keys = [key.strip() for key in (source or "").split(",") if key.strip()]
            source_list = load_registry(sources).select(keys)
        self.sources = {s.key: s for s in source_list}
        """The sources to crawl; the pipeline narrows them to those this run could lock."""
        self.clock = clock
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self._all_urls()} - {""})
        self._seen: set[tuple[str, str]] = set()
        self._known_ids: dict[tuple[str, str], int] = {}  # (source, id in URL) → known article
        self._lastmod: dict[int, datetime] = {}  # known article → a sitemap's lastmod for it
        self._revisits_scheduled = False
        self._read_whole: list[tuple[str, Validators]] = []  # (source, a feed's validators)

    def closed(self, reason: str) -> None:
        try:
            self._keep_validators(reason)
        finally:
            self.frontier.engine.dispose()

    def _keep_validators(self, reason: str) -> None:
        """Keep the validators of the feeds read whole, for the next run to
        ask conditionally; only for a source whose run ended with every page archived:
        a 304 tells nothing of the links an unfinished or failed run did not fetch."""
        stats = self.crawler.stats
        if reason != "finished" or stats.get_value("kgnews/not_recorded"):
            return
        if stats.get_value("log_count/ERROR"):  # (an item lost to a bug is counted nowhere else)
            return
        clean = [
            page
            for key, page in self._read_whole
            if key in self.sources and not stats.get_value(f"kgnews/{key}/error")
        ]
        try:
            remember_validators(self.frontier.engine, clean)
        except (SQLAlchemyError, DatabaseError) as exc:  # next time they are read whole
            self.logger.warning("feed validators not kept: %s", exc)

    def _all_urls(self) -> Iterator[str]:
        for source in self.sources.values():
            yield source.base_url
            yield from source.feeds
            yield from source.sitemaps
            yield from source.listings
            for host in source.hosts:
                yield f"https://{host}/"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        # One download slot per source: its delay and concurrency (settings freeze after this).
        slots = dict(crawler.settings.getdict("DOWNLOAD_SLOTS"))
        default_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        jitter = crawler.settings.getfloat("DOWNLOAD_DELAY_JITTER")
        for key, source in spider.sources.items():
            slot: dict[str, float] = {"concurrency": source.concurrency}
            delay = source.delay if source.delay is not None else default_delay
            slot.update(pacing(delay, jitter))  # a minimum (0 too), jitter only adds
            slots.setdefault(key, slot)
        crawler.settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        spider.recheck = crawler.settings.get("KGNEWS_RECHECK", "due")
        spider.frontier = Frontier(
            make_engine(resolve_url(crawler.settings.get("KGNEWS_DATABASE_URL")))
        )
        crawler.signals.connect(spider.idle, signal=signals.spider_idle, weak=False)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for source in list(self.sources.values()):
            known = self._validators(list(source.feeds))
            for url in source.feeds:
                yield self._conditional(source, url, known)
            for url in source.sitemaps:  # read whole: their lastmods spare known articles
                yield self._request(source, url, "sitemap", self.parse_sitemap)
            for url in source.listings:
                yield self._request(source, url, "listing", self.parse_listing, page=1)

    def _request(self, source: Source, url: str, role: str, callback: Any, **meta: Any) -> Request:
        headers = {"User-Agent": source.user_agent} if source.user_agent else None
        return Request(
            url,
            callback=callback,
            errback=self.failed,
            headers=headers,
            meta={"download_slot": source.key, "source": source.key, "role": role, **meta},
        )

    def _conditional(self, source: Source, url: str, known: dict[str, Validators]) -> Request:
        """A feed request; conditional when an earlier run read the feed whole.

        (Sitemaps are read whole each run: a 304 would say nothing of their lastmods,
        which are what spares known articles a fetch.)"""
        request = self._request(
            source, url, "feed", self.parse_feed, handle_httpstatus_list=[304], feed_url=url
        )
        validators = known.get(url)
        if validators is not None and validators.etag:
            request.headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            request.headers["If-Modified-Since"] = validators.last_modified
        return request

    def _validators(self, urls: list[str]) -> dict[str, Validators]:
        try:
            return read_validators(self.frontier.engine, urls)
        except (SQLAlchemyError, DatabaseError) as exc:  # read them whole, then
            self.logger.warning("feed validators not read: %s", exc)
            return {}

    def _not_modified(self, source: Source, response: Response) -> bool:
        """The site says the feed is as it was: nothing new in it."""
        if response.status != 304:
            return False
        self.crawler.stats.inc_value(f"kgnews/{source.key}/feeds_not_modified")
        return True

    def _read_in_full(self, source: Source, response: Response) -> None:
        etag, modified = _header(response, "ETag"), _header(response, "Last-Modified")
        if etag or modified:  # under the URL asked for, whatever it redirected to
            url = response.meta.get("feed_url") or response.url
            self._read_whole.append((source.key, Validators(url, etag, modified, self.clock())))

    # --- discovery ------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Request | FailedFetch]:
        source = self._source(response)
        if self._not_modified(source, response):
            return
        try:
            feed = parse_feed(self._xml_body(response), response.url, zone(source.rules.timezone))
        except DiscoveryError as exc:
            yield self._failed_item(response, str(exc))
            return
        if feed.problem:
            yield self._failed_item(response, feed.problem)
        else:
            self._read_in_full(source, response)
        yield from self._articles(source, feed.links)

    def parse_sitemap(self, response: Response) -> Iterator[Request | FailedFetch]:
        source = self._source(response)
        try:
            sitemap = parse_sitemap(
                self._xml_body(response), response.url, zone(source.rules.timezone)
            )
        except DiscoveryError as exc:
            yield self._failed_item(response, str(exc))
            return
        if sitemap.problem:
            yield self._failed_item(response, sitemap.problem)
        settings = self.crawler.settings
        if sitemap.is_index:
            newest = sorted(sitemap.links, key=_newest_first)
            for link in newest[: settings.getint("KGNEWS_MAX_SITEMAPS")]:
                yield self._request(source, link.url, "sitemap", self.parse_sitemap)
            return
        yield from self._articles(
            source, sitemap.links[: settings.getint("KGNEWS_MAX_SITEMAP_URLS")]
        )

    def parse_listing(self, response: Response) -> Iterator[Request | FailedFetch]:
        source = self._source(response)
        if not isinstance(response, TextResponse):
            yield self._failed_item(response, "listing page is not HTML")
            return
        try:
            root = parse_html(response.text)
        except NoArticle as exc:  # not even a document: nothing to read links from
            yield self._failed_item(response, f"empty page ({exc})")
            return
        every = listing_links(root, response.url)
        if not every:
            yield self._failed_item(response, "empty page: not one link on it")
            return
        picked = (
            listing_links(root, response.url, source.link_selector)
            if source.link_selector
            else every
        )
        yield from self._articles(source, [Link(u) for u in picked])
        page = int(response.meta.get("page", 1))
        following = next_page(root, response.url, source.next_page_selector)
        if following and page < source.max_listing_pages:
            yield self._request(source, following, "listing", self.parse_listing, page=page + 1)

    def _xml_body(self, response: Response) -> bytes:
        """The body, inflated if it is a .gz file (up to DOWNLOAD_MAXSIZE: a bomb stops)."""
        return maybe_gunzip(response.body, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    # --- articles ----------------------------------------------------------------------

    def _articles(self, source: Source, links: list[Link]) -> Iterator[Request]:
        """Requests for the new articles among `links`.

        Known articles are not fetched here: once discovery is done, `idle` fetches
        those that are due. Discovery only notes a sitemap's lastmod for them, from
        whichever link carries one (the newest, when several do).
        """
        fresh: list[tuple[Link, str, tuple[str, str]]] = []
        for link in links:
            article_id = source.article_id(link.url)
            if article_id is None:
                continue
            key = (source.key, article_id)
            if key in self._seen:
                self._note_lastmod(self._known_ids.get(key), link)
                continue
            self._seen.add(key)
            fresh.append((link, source.canonical_for(link.url), key))
        if not fresh:
            return
        self.crawler.stats.inc_value(f"kgnews/{source.key}/links_found", len(fresh))
        known = self.frontier.known(source.key, [u for link, c, _ in fresh for u in (c, link.url)])
        for link, canonical, key in fresh:
            found = known.get(canonical) or known.get(link.url)
            if found is None:
                self.crawler.stats.inc_value(f"kgnews/{source.key}/articles_found")
                url = without_tracking(link.url, source.tracking_params)
                yield self._request(source, url, "article", self.parse_article)
            else:
                self._known_ids[key] = found.article_id
                self._note_lastmod(found.article_id, link)

    def _note_lastmod(self, article_id: int | None, link: Link) -> None:
        if article_id is None or link.modified_at is None:
            return
        noted = self._lastmod.get(article_id)
        self._lastmod[article_id] = max(noted, link.modified_at) if noted else link.modified_at

    def _revisit(self, source: Source, known: Known) -> Request:
        """A conditional request for a known article: a 304 costs the site almost nothing."""
        request = self._request(
            source, known.url, "article", self.parse_article, article_url=known.url,
            handle_httpstatus_list=[304],
        )  # fmt: skip
        if known.etag:
            request.headers["If-None-Match"] = known.etag
        if known.last_modified:
            request.headers["If-Modified-Since"] = known.last_modified
        self.crawler.stats.inc_value(f"kgnews/{source.key}/revisits")
        return request

    def idle(self, spider: Spider) -> None:
        """Discovery is done: fetch again the known articles that are due.

        Due by the source's revisit policy (all of them with --recheck all), unless a
        sitemap says the page has not changed since we last fetched it.
        """
        if self._revisits_scheduled or self.recheck == "none":
            return
        self._revisits_scheduled = True
        now = self.clock()
        scheduled = 0
        for source in list(self.sources.values()):
            everything = self.recheck == "all"
            for known in self.frontier.candidates(
                source.key, None if everything else source.revisit, now
            ):
                lastmod = self._lastmod.get(known.article_id)
                unchanged = lastmod is not None and lastmod <= known.last_fetched_at
                if everything or (not unchanged and is_due(known, source.revisit, now)):
                    assert self.crawler.engine is not None
                    self.crawler.engine.crawl(self._revisit(source, known))
                    scheduled += 1
                else:
                    self.crawler.stats.inc_value(f"kgnews/{source.key}/not_due")
        if scheduled:
            raise DontCloseSpider

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        yield ArticlePage(
            source=response.meta["source"],
            url=response.url,
            article_url=response.meta.get("article_url"),
            status=response.status,
            body=response.body,
            content_type=_header(response, "Content-Type"),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            fetched_at=response.meta.get("fetched_at") or self.clock(),
            elapsed_ms=_elapsed_ms(response.meta),
            warc=response.meta.get("warc"),
            warc_error=response.meta.get("warc_error"),
        )

    # --- failures ----------------------------------------------------------------------

    def failed(self, failure: Failure) -> Iterator[FailedFetch]:
        request: Request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, OverBudget | StoppedAtOnce):
            return  # never fetched: the --max-pages budget was spent, or the run stopped
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            # Never fetched, so not a fetch: robots.txt says this page is not for crawlers.
            self.crawler.stats.inc_value(f"kgnews/{request.meta['source']}/robots_forbidden")
            return
        error, status, no_answer = describe_failure(failure)
        response = getattr(failure.value, "response", None)
        meta = response.meta if response is not None else {}
        yield FailedFetch(
            source=request.meta["source"],
            url=request.url,
            error=f"{request.meta['role']}: {error}",
            fetched_at=meta.get("fetched_at") or self.clock(),
            role=request.meta["role"],
            status=status,
            connection_failed=no_answer,
            warc=meta.get("warc"),
        )

    def _failed_item(self, response: Response, error: str) -> FailedFetch:
        role = response.meta["role"]
        return FailedFetch(
            source=response.meta["source"],
            url=response.url,
            error=f"{role}: {error}",
            fetched_at=response.meta.get("fetched_at") or self.clock(),
            role=role,
            status=response.status,
            warc=response.meta.get("warc"),
        )

    def _source(self, response: Response) -> Source:
        return self.sources[response.meta["source"]]


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _elapsed_ms(meta: dict[str, Any]) -> int | None:
    latency = meta.get("download_latency")
    return int(latency * 1000) if latency is not None else None


def _newest_first(link: Link) -> tuple[int, float]:
    when = link.modified_at or link.published_at
    return (0, -when.timestamp()) if when else (1, 0.0)
