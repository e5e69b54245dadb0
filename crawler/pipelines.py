"""Thin Scrapy glue: a fetched page → extraction → the archive, one transaction each.

Also records, as `fetches` rows with outcome `error`, every fetch that failed
(the spider's FailedFetch items) and every article redirect Scrapy drops before
fetching it (to another site, or in a loop). Counts go to the crawl's stats, per
source, for the progress line and the summary.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import reactor, task

from crawler.capture.warc import RecordRef
from crawler.errors import DatabaseError
from crawler.extract.article import Article as ExtractedArticle
from crawler.extract.errors import NoArticle
from crawler.extract.pipeline import extract_article
from crawler.health.judge import Thresholds
from crawler.health.measure import record_health
from crawler.items import ArticlePage, FailedFetch
from crawler.middlewares import stop_at_once, stop_requested
from crawler.pool.order import InOrder
from crawler.pool.workers import WorkerFailed, WorkerPool, default_size
from crawler.sources.model import Source
from crawler.store.batch import ArticleWrite, FetchWrite, Write, store_batch, store_one
from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import ensure_schema
from crawler.store.outage import is_outage
from crawler.store.runs import HEARTBEAT_EVERY, Holder, begin_run, finish_run, heartbeat
from crawler.store.versioning import FetchInfo, ensure_source, store_fetch

logger = logging.getLogger(__name__)
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
# Close reasons: finished, or ended early as asked (--max-pages, --max-minutes).
FINISHED = {"finished", "closespider_pagecount", "closespider_timeout", "closespider_itemcount"}
_CLOSE_STATUS = {"shutdown": "interrupted", "lock_lost": "interrupted"}
Extracted = ExtractedArticle | str | None
"""What extraction made of a page: its article, the reason it has none, or None (not
a page to extract)."""


@dataclass(frozen=True, slots=True)
class Queued:
    """A fetch waiting for its write: the item, what extraction made of it, and the key
    that makes a retried write of it land once."""

    item: ArticlePage | FailedFetch
    extracted: Extracted
    key: str


class ArchivePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.engine: Engine | None = None
        self.run_id: int | None = None
        self.heartbeat: task.LoopingCall | None = None
        self.source_ids: dict[str, int] = {}
        self.database_lost = ""
        self.pool: WorkerPool | None = None
        self.order = InOrder()
        self.queued: list[Queued] = []  # in arrival order, written a batch at a time
        self.flushing = asyncio.Lock()
        settings = crawler.settings
        self.batch_size = max(1, settings.getint("KGNEWS_WRITE_BATCH_SIZE"))
        self.batch_seconds = settings.getfloat("KGNEWS_WRITE_BATCH_SECONDS")
        # Tests drive the batch timer with a twisted task.Clock instead of waiting.
        self.timer_clock: Any = settings.get("KGNEWS_WRITE_CLOCK") or reactor
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped, weak=False)
        crawler.signals.connect(
            self.request_scheduled, signal=signals.request_scheduled, weak=False
        )
        # The run is closed on spider_closed, the first point where Scrapy tells why the
        # crawl ended (it sets finish_reason only then, after the pipelines close).
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed, weak=False)
        crawler.signals.connect(self.stop_requested, signal=stop_requested, weak=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    @property
    def sources(self) -> dict[str, Source]:
        return self.crawler.spider.sources  # type: ignore[union-attr,no-any-return]

    def open_spider(self, spider: Spider | None = None) -> None:
        settings = self.crawler.settings
        self.engine = make_engine(resolve_url(settings.get("KGNEWS_DATABASE_URL")))
        ensure_schema(self.engine, migrate_if_empty=True)
        for source in self.sources.values():
            self.source_ids[source.key] = ensure_source(
                self.engine, source.key, source.name, source.base_url, source.language
            )
        workers = settings.get("KGNEWS_EXTRACT_WORKERS")
        size = default_size() if workers is None else int(workers)
        if size > 0:
            self.pool = WorkerPool(
                "crawler.extract.pipeline:extract_article", size,
                settings.getfloat("KGNEWS_EXTRACT_TIMEOUT"),
                expected=("crawler.extract.errors:NoArticle",),
            )  # fmt: skip
        start = begin_run(
            self.engine,
            list(self.sources),
            self._now(),
            Holder.this_process(),
            node=settings.get("KGNEWS_NODE") or None,
        )
        self.run_id = start.run_id
        self.locked = len(start.sources)
        stats = self.crawler.stats
        stats.set_value("kgnews/already_running", start.busy)
        stats.set_value("kgnews/run_id", self.run_id)
        # Crawl only what this run could lock; the rest is another run's.
        spider_sources = self.crawler.spider.sources  # type: ignore[union-attr]
        for key in start.busy:
            spider_sources.pop(key, None)
        if self.run_id is not None:
            self.heartbeat = task.LoopingCall(self._beat)
            # Tests drive the beat with a twisted task.Clock instead of waiting a minute.
            self.heartbeat.clock = settings.get("KGNEWS_HEARTBEAT_CLOCK") or self.heartbeat.clock
            self.heartbeat.start(HEARTBEAT_EVERY.total_seconds(), now=False)

    async def close_spider(self, spider: Spider | None = None) -> None:
        await self._flush()  # what is still queued
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        if self.pool is not None:
            self.pool.close()
            self.crawler.stats.set_value("kgnews/extract_workers_replaced", self.pool.replaced)
            self.pool = None

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.crawler.stats.set_value("kgnews/close_reason", reason)
        if self.engine is None:
            return
        try:
            if self.run_id is not None:
                status = "finished" if reason in FINISHED else _CLOSE_STATUS.get(reason, "failed")
                self.crawler.stats.set_value("kgnews/run_status", status)
                finish_run(self.engine, self.run_id, status, self._now())
                if reason == "finished":  # a run cut short would look like a broken source
                    self._measure_health()
        except (SQLAlchemyError, DatabaseError) as exc:
            if not is_outage(exc):
                raise
            # The run stays 'running' in the archive; the next crawl marks it interrupted.
            self.crawler.stats.set_value("kgnews/run_status", "failed")
            self._lose_database(exc, stop=False)  # the spider is closing already
        finally:
            self.engine.dispose()

    def _measure_health(self) -> None:
        """Each crawled source's numbers, kept in source_health; warnings to the stats."""
        assert self.engine is not None and self.run_id is not None
        stats = self.crawler.stats
        sources = list(self.sources.values())

        def per_source(name: str) -> dict[str, int]:
            return {s.key: int(stats.get_value(f"kgnews/{s.key}/{name}", 0)) for s in sources}

        links, unchanged = per_source("links_found"), per_source("feeds_not_modified")
        limits = Thresholds.from_settings(self.crawler.settings.get)
        try:
            found = record_health(
                self.engine,
                self.run_id,
                sources,
                self.source_ids,
                links,
                self._now(),
                limits,
                unchanged,
            )
        except (SQLAlchemyError, DatabaseError) as exc:  # the crawl is archived; say what is not
            logger.error("source health not recorded: %s", exc)
            stats.set_value("kgnews/health_error", f"{type(exc).__name__}: {exc}".split("\n")[0])
            return
        stats.set_value("kgnews/health", found)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        """Archive the item; when the database has gone away, try again with backoff for
        KGNEWS_DB_RETRY_SECONDS, then stop the crawl (what was not written is fetched
        again by the next run, as its fetch left no row)."""
        if isinstance(item, ArticlePage | FailedFetch):
            await self._write(item)
        return item

    async def _write(self, item: ArticlePage | FailedFetch) -> None:
        """Extract (in a worker, alongside other pages), then queue the write in arrival
        order; the queue is written when it holds a batch, or a little later (below)."""
        turn = self.order.take()
        try:
            extracted = await self._extract(item) if isinstance(item, ArticlePage) else None
            await self.order.wait(turn)
            # One key per fetch: a retry after a lost commit answer finds it.
            self.queued.append(Queued(item, extracted, uuid.uuid4().hex))
        finally:
            self.order.done(turn)
        if len(self.queued) >= self.batch_size:
            await self._flush()  # the item waits for its batch: the crawl slows to the writes
        elif len(self.queued) == 1:  # a quiet crawl's pages do not wait for a full batch
            self.timer_clock.callLater(self.batch_seconds, self._flush_soon)

    async def stop_requested(self) -> None:
        """The run is stopping: write what is queued, and from now on each page as it
        comes (a second signal, which stops at once, then loses only pages in hand)."""
        self.batch_size = 1
        await self._flush()

    def _flush_soon(self) -> None:
        done = deferred_from_coro(self._flush())
        done.addErrback(lambda failure: logger.error("writes not flushed: %s", failure.value))

    async def _flush(self) -> None:
        """Write what is queued, a batch at a time, in the order it was queued."""
        async with self.flushing:
            while self.queued:
                batch = self.queued[: self.batch_size]
                del self.queued[: self.batch_size]
                await self._store(batch)

    async def _store(self, entries: list[Queued], *, tried: bool = False) -> None:
        """Write these fetches in one transaction. When the database has gone away, try
        again with backoff for KGNEWS_DB_RETRY_SECONDS, then stop the crawl (what was not
        written is fetched again by the next run, as its fetch left no row). When it
        refuses the batch, write each fetch alone, so one bad row loses nothing else.
        `tried`: an earlier write of these fetches may have landed (check their keys)."""
        settings = self.crawler.settings
        since, attempt = time.monotonic(), 0
        while True:
            if self.database_lost:
                self.crawler.stats.inc_value("kgnews/not_recorded", len(entries))
                return
            first_try = attempt == 0 and not tried  # no earlier attempt recorded a key
            try:
                assert self.engine is not None
                writes = [self._plan(entry, first_try) for entry in entries]
                if len(writes) == 1:
                    results = [store_one(self.engine, writes[0])]
                else:
                    results = store_batch(self.engine, writes)
            except Exception as exc:  # refused, away, or a bug: never a whole batch lost
                if not (isinstance(exc, SQLAlchemyError | DatabaseError) and is_outage(exc)):
                    await self._refused(entries, exc, tried=tried or attempt > 0)
                    return
                if time.monotonic() - since >= settings.getfloat("KGNEWS_DB_RETRY_SECONDS"):
                    self._lose_database(exc)
                    continue  # counted as not recorded, above
                delay = min(
                    settings.getfloat("KGNEWS_DB_RETRY_BACKOFF_BASE") * 2 ** min(attempt, 30),
                    settings.getfloat("KGNEWS_DB_RETRY_BACKOFF_MAX"),
                )
                attempt += 1
                self.crawler.stats.inc_value("kgnews/database_retries")
                logger.warning("database write failed, again in %.1f s: %s", delay, exc)
                await asyncio.sleep(delay)
                continue
            for entry, result in zip(entries, results, strict=True):
                self._written(entry.item, result.outcome)
            return

    async def _refused(self, entries: list[Queued], exc: BaseException, *, tried: bool) -> None:
        if len(entries) > 1:
            self.crawler.stats.inc_value("kgnews/write_batches_split")
            logger.info("a batch of %d writes was refused (%s); writing each alone",
                        len(entries), _first_line(exc))  # fmt: skip
            for entry in entries:
                await self._store([entry], tried=tried)
            return
        self._refused_one(entries[0].item, entries[0].key, exc)

    def _refused_one(self, item: ArticlePage | FailedFetch, key: str, exc: BaseException) -> None:
        """The database is there but refused this page's write (a row it will not take:
        a bug, or a value past a column's limit), or the write failed on a bug. Nothing
        of the write is kept; the page becomes an error fetch with the reason, the crawl
        goes on, and its exit status says so."""
        stats = self.crawler.stats
        first_line = _first_line(getattr(exc, "orig", None) or exc)  # the driver's words
        if isinstance(exc, SQLAlchemyError | DatabaseError):
            reason = f"not archived: the database refused the write: {first_line}"
        else:  # a bug of ours: the log keeps where it was
            said = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
            reason = f"not archived: the write failed: {said}"
            logger.error("%s: the write failed", item.url, exc_info=exc)
        stats.inc_value("kgnews/write_errors")
        if stats.get_value("kgnews/write_error") is None:
            stats.set_value("kgnews/write_error", reason)
        logger.error("%s: %s", item.url, reason)
        fetch = self._fetch(item.source, item.url, item.fetched_at, item.status, item.warc, key=key)
        try:
            assert self.engine is not None
            store_fetch(self.engine, fetch, "error", error=reason)
        except (SQLAlchemyError, DatabaseError) as again:
            stats.inc_value("kgnews/not_recorded")
            logger.error("%s: not recorded either: %s", item.url, again)
            return
        self._count(item.source, "error")

    def _lose_database(self, exc: BaseException, *, stop: bool = True) -> None:
        """The database stayed away: stop scheduling, say so, record nothing as done."""
        if self.database_lost:
            return
        self.database_lost = _first_line(exc)
        self.crawler.stats.set_value("kgnews/database_lost", self.database_lost)
        logger.error("the database went away: %s; stopping the crawl", self.database_lost)
        if stop:
            stop_at_once(self.crawler, "database_lost")

    # --------------------------------------------------------------------------------

    async def _extract(self, page: ArticlePage) -> Extracted:
        """The article on the page, the reason there is none, or None when the page is
        not one to extract (a 304, a page whose raw response was not kept, not HTML)."""
        if _not_to_extract(page) is not None:
            return None
        source = self.sources[page.source]
        args = (page.body, page.url, source.rules, page.content_type)
        known = source.article_id(page.url) is not None
        try:
            if self.pool is None:
                return extract_article(*args, known_article=known)
            article: ExtractedArticle = await self.pool.run(*args, known_article=known)
            return article
        except NoArticle as exc:
            return f"no article: {exc}"
        except WorkerFailed as exc:
            self.crawler.stats.inc_value("kgnews/extraction_failures")
            logger.error("%s: not extracted: %s", page.url, exc)
            return f"not extracted: {exc}"

    def _plan(self, entry: Queued, first_try: bool) -> Write:
        """The write that archives a queued fetch."""
        item, key = entry.item, entry.key
        if isinstance(item, FailedFetch):
            fetch = self._fetch(item.source, item.url, item.fetched_at, item.status, item.warc,
                                key=key, first_try=first_try)  # fmt: skip
            article_url = self.sources[item.source].canonical_for(item.url)
            return FetchWrite(fetch, "error", error=item.error, article_url=article_url)
        source = self.sources[item.source]
        fetch = self._fetch(
            source.key, item.url, item.fetched_at, item.status, item.warc,
            etag=item.etag, last_modified=item.last_modified, bytes=len(item.body),
            elapsed_ms=item.elapsed_ms, key=key, first_try=first_try,
        )  # fmt: skip
        passed_over = _not_to_extract(item)
        if passed_over is not None:
            outcome, error = passed_over
            known = item.article_url if outcome == "not_modified" else None
            return FetchWrite(fetch, outcome, error=error, article_url=known)
        extracted = entry.extracted
        if not isinstance(extracted, ExtractedArticle):
            return FetchWrite(fetch, "error", error=extracted or "not extracted")
        article = replace(extracted, url=source.canonical_for(item.url, extracted.url))
        if article.language and article.language != source.language:
            error = f"language {article.language}; {source.key} keeps {source.language}"
            return FetchWrite(fetch, "skipped", error=error, article_url=article.url,
                              article=article)  # fmt: skip
        return ArticleWrite(article, fetch)

    def _written(self, item: ArticlePage | FailedFetch, outcome: str) -> None:
        self._count(item.source, outcome)
        if isinstance(item, FailedFetch) and item.connection_failed:
            self.crawler.stats.set_value(f"kgnews/{item.source}/connection_error", item.error)

    def _fetch(
        self, source: str, url: str, at: datetime, status: int | None, warc: RecordRef | None,
        **details: Any,
    ) -> FetchInfo:  # fmt: skip
        """A fetch of this run, pointing to its WARC record if it has one."""
        return FetchInfo(
            url=url, source_id=self.source_ids[source], fetched_at=at, http_status=status,
            crawl_run_id=self.run_id, **_record(warc), **details,
        )  # fmt: skip

    def request_scheduled(self, request: Request, spider: Spider | None = None) -> None:
        """Scrapy's offsite filter drops a redirect to another site, silently: record it."""
        redirects = request.meta.get("redirect_urls")
        if request.meta.get("role") == "article" and redirects and not self._on_site(request.url):
            self._redirect_failed(
                request, f"redirected to another site ({request.url}); not followed"
            )

    def request_dropped(self, request: Request, spider: Spider | None = None) -> None:
        """A redirect back to a page this run already fetched is dropped: a loop."""
        redirects = request.meta.get("redirect_urls")
        if request.meta.get("role") == "article" and redirects and self._on_site(request.url):
            self._redirect_failed(
                request, f"redirect loop ({' → '.join([*redirects, request.url])})"
            )

    def _on_site(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        allowed = getattr(self.crawler.spider, "allowed_domains", None) or []
        return any(host == domain or host.endswith("." + domain) for domain in allowed)

    def _redirect_failed(self, request: Request, reason: str) -> None:
        if self.engine is None:
            return
        # From a signal handler: written like any item, with the outage retries.
        self._pending(
            FailedFetch(
                source=request.meta["source"],
                url=request.meta["redirect_urls"][0],
                error=f"article: {reason}",
                fetched_at=self._now(),
                role="article",
            )
        )

    def _pending(self, item: FailedFetch) -> None:
        """Write `item` now, or (the database away) as soon as a retry lands."""
        done = deferred_from_coro(self._write(item))
        done.addErrback(lambda failure: logger.error("fetch not recorded: %s", failure.value))

    def _count(self, source: str, outcome: str) -> None:
        self.crawler.stats.inc_value(f"kgnews/{source}/{outcome}")
        self.crawler.stats.inc_value(f"kgnews/all/{outcome}")

    def _beat(self) -> None:
        """Show other runs this one is alive, so they do not take its locks as stale.

        A beat that fails (a database blip) is said and the next one tries again: the
        loop never stops on it. Locks found taken over by another run (this one missed
        its beats for too long) stop this run at once rather than crawl beside it.
        """
        assert self.engine is not None and self.run_id is not None
        try:
            held = heartbeat(self.engine, self.run_id, self._now())
        except (SQLAlchemyError, DatabaseError) as exc:
            self.crawler.stats.inc_value("kgnews/heartbeat_failures")
            logger.warning("heartbeat not recorded (the next one tries again): %s", exc)
            return
        if held < self.locked:
            self.crawler.stats.set_value("kgnews/lock_lost", self.locked - held)
            if self.heartbeat is not None and self.heartbeat.running:
                self.heartbeat.stop()
            stop_at_once(self.crawler, "lock_lost")

    def _now(self) -> Any:
        return self.crawler.spider.clock()  # type: ignore[union-attr]


def _not_to_extract(page: ArticlePage) -> tuple[str, str | None] | None:
    """The outcome (and error) of a page that is not extracted, or None to extract it."""
    if page.warc_error is not None:  # the raw page could not be kept: do not archive it
        return "error", f"not archived: {page.warc_error}"
    if page.status == 304:  # a revisit the site answered "not modified": no extraction
        return "not_modified", None
    media_type = (page.content_type or "text/html").split(";")[0].strip().lower()
    if media_type not in PAGE_TYPES:
        return "error", f"not a web page: content type {media_type}"
    return None


def _first_line(exc: BaseException) -> str:
    """The first line of what an exception says ("" when it says nothing)."""
    return next(iter(str(exc).splitlines()), "")


def _record(ref: RecordRef | None) -> dict[str, Any]:
    """The fetches columns that point to a WARC record."""
    if ref is None:
        return {}
    return {
        "warc_file": ref.file,
        "warc_offset": ref.offset,
        "warc_record_id": ref.record_id,
        "payload_digest": ref.payload_digest,
    }
