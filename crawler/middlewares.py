"""Downloader middlewares: retries with backoff honouring Retry-After, and a page budget."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.response import response_status_message

from crawler.politeness import slot_key, slow_down

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: it is either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, plus a wait before each: Retry-After when the site sends it
    (up to KGNEWS_RETRY_AFTER_MAX, beyond which the page is given up), else
    exponential backoff (KGNEWS_RETRY_BACKOFF_BASE × 2^attempt)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.backoff = crawler.settings.getfloat("KGNEWS_RETRY_BACKOFF_BASE")
        self.retry_after_max = crawler.settings.getfloat("KGNEWS_RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        header = response.headers.get("Retry-After")
        wait = retry_after_seconds(header.decode("latin-1") if header else None, datetime.now(UTC))
        if wait is not None and wait > self.retry_after_max:
            raise IgnoreRequest(
                f"HTTP {response.status}: the site asks to retry after {wait:.0f} s, "
                f"more than the {self.retry_after_max:.0f} s we wait"
            )
        attempt = request.meta.get("retry_times", 0)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = wait if wait is not None else self.backoff * 2**attempt
        if delay > 0:
            slow_down(self.crawler, slot_key(request), delay)
        return retry


class OverBudget(IgnoreRequest):
    """A request the run's page budget leaves out: not fetched, so not a fetch."""


class StoppedAtOnce(IgnoreRequest):
    """A request still waiting for its turn at the site when the run stopped at once:
    not fetched, so not a fetch."""


stop_requested = object()
"""A signal: the run was asked to stop (a signal, a lost lock): what is in hand is to be
written now, not when a batch fills. Its handlers may be coroutines."""


def stop_at_once(crawler: Crawler, reason: str) -> None:
    """Close the spider, and drop the requests queued in the downloader.

    Closing alone stops the scheduler, but the downloader still fetches what it has
    queued (up to CONCURRENT_REQUESTS, each waiting out its site's delay): pages that
    a run which lost its database, or its lock, could only throw away. Requests on
    the wire finish.
    """
    engine = crawler.engine
    if engine is None:
        return
    deferred_from_coro(crawler.signals.send_catch_log_async(stop_requested))
    deferred_from_coro(engine.close_spider_async(reason=reason))
    for slot in list(engine.downloader.slots.values()):
        while slot.queue:
            _request, waiting = slot.queue.popleft()
            waiting.errback(StoppedAtOnce(reason))


class PageBudget:
    """`kgnews crawl --max-pages N`: at most N pages are downloaded, then the run ends.

    Each request of the crawl takes a page from the budget as it goes to the download
    (robots.txt does not; pages robots.txt forbids never get here); once it is spent,
    further requests are left out and the run closes as Scrapy's own page count would.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.limit = crawler.settings.getint("KGNEWS_MAX_PAGES")
        if self.limit <= 0:
            raise NotConfigured
        self.crawler = crawler
        self.used = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudget:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if "source" not in request.meta:
            return  # robots.txt
        if self.used >= self.limit:
            raise OverBudget(f"the run's budget of {self.limit} pages is spent")
        self.used += 1
        if self.used == self.limit:
            assert self.crawler.engine is not None
            engine = self.crawler.engine
            deferred_from_coro(engine.close_spider_async(reason="closespider_pagecount"))
