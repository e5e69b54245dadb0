"""Scrapy glue: every response, as it arrives, into the WARC files.

Hooked to `response_downloaded`, which sees every response (redirects and answers
that will be retried included) before any middleware has decompressed it. The
record's place goes into the request's meta (`warc`), and the time of the fetch
(`fetched_at`), for the pipeline's fetches row. If a record cannot be written (a full
disk), the crawl stops: pages whose raw response is not kept are not archived.
"""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError

from crawler.capture.place import default_warc_dir
from crawler.capture.warc import (
    DEFAULT_MAX_BYTES,
    Exchange,
    RecordRef,
    WarcFiles,
    WarcWriteError,
    warc_date,
)
from crawler.errors import DatabaseError
from crawler.store.engine import make_engine, resolve_url
from crawler.store.faults import fault_point
from crawler.store.records import KnownPayloads, first_with_payload

logger = logging.getLogger(__name__)


class WarcCapture:
    def __init__(self, crawler: Crawler) -> None:
        directory = crawler.settings.get("KGNEWS_WARC_DIR")
        db_url = resolve_url(crawler.settings.get("KGNEWS_DATABASE_URL"))
        if directory == "":
            raise NotConfigured("KGNEWS_WARC_DIR is empty: no WARC capture")
        self.crawler = crawler
        self.directory = Path(directory) if directory else default_warc_dir(db_url)
        self.max_bytes = crawler.settings.getint("KGNEWS_WARC_MAX_BYTES", DEFAULT_MAX_BYTES)
        self.engine = make_engine(db_url)
        self.files: WarcFiles | None = None
        self.failure: str | None = None
        self.known: KnownPayloads | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened, weak=False)
        crawler.signals.connect(self.closed, signal=signals.spider_closed, weak=False)
        crawler.signals.connect(self.downloaded, signal=signals.response_downloaded, weak=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        return cls(crawler)

    def opened(self, spider: Spider) -> None:
        run_id = self.crawler.stats.get_value("kgnews/run_id") if self.crawler.stats else None
        node = self.crawler.settings.get("KGNEWS_NODE") or ""
        self.files = WarcFiles(self.directory, f"kgnews-run{run_id or 0}", self.max_bytes, node)
        try:
            self.known = KnownPayloads(self.engine)
        except (SQLAlchemyError, DatabaseError) as exc:  # look each one up, as a fallback
            logger.warning("payload digests not read, looking each one up: %s", exc)

    def closed(self, spider: Spider) -> None:
        if self.files is not None:
            try:
                self.files.close()
            except WarcWriteError as exc:
                self.crawler.stats.set_value("kgnews/warc_error", str(exc))
        self.engine.dispose()

    def downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        clock = getattr(spider, "clock", None)
        fetched_at = clock() if clock else None
        request.meta["fetched_at"] = fetched_at
        if self.files is None or fetched_at is None:
            return
        if self.failure is not None:
            request.meta["warc_error"] = self.failure
            return
        exchange = Exchange(
            url=response.url,
            method=request.method,
            request_headers=[*_headers(request.headers), ("Host", _host(request.url))],
            protocol=response.protocol or "HTTP/1.1",
            status=response.status,
            reason=_reason(response.status),
            response_headers=_headers(response.headers),
            body=response.body,
            fetched_at=fetched_at,
        )
        try:
            request.meta["warc"] = self.files.write(exchange, self._earlier)
            fault_point("warc_written")
        except WarcWriteError as exc:
            self.failure = str(exc)
            request.meta["warc_error"] = self.failure
            self.crawler.stats.set_value("kgnews/warc_error", self.failure)
            logger.error("%s; stopping the crawl", self.failure)
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_failed"))

    def _earlier(self, digest: str) -> RecordRef | None:
        """The record that first held this payload in an earlier run (the WARC files
        remember this run's own)."""
        if self.known is not None and not self.known.may_hold(digest):
            return None  # new to the archive: no query needed to know it
        try:
            found = first_with_payload(self.engine, digest)
        except (SQLAlchemyError, DatabaseError) as exc:
            # The database is away: keep the whole response rather than lose the record.
            logger.warning("revisit lookup failed, writing the full response: %s", exc)
            return None
        if found is None:
            return None
        date = warc_date(found.fetched_at)
        return RecordRef(found.warc_file, found.warc_offset, found.warc_record_id, "response",
                         digest, found.url, date)  # fmt: skip


def _headers(headers: object) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():  # type: ignore[attr-defined]
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
