"""Running a crawl: settings for it, the Scrapy process, and what it found."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro

from crawler import __version__
from crawler.clock import Clock, utc_now
from crawler.middlewares import stop_requested
from crawler.progress import SourceSummary, summarize
from crawler.settings import KGNEWS_CONTACT_URL
from crawler.sources.model import Source
from crawler.spiders.news import NewsSpider

CONTACT_ENV = "KGNEWS_CONTACT_URL"


def user_agent() -> str:
    """Who kgnews says it is: with $KGNEWS_CONTACT_URL, the user's own contact page."""
    contact = os.environ.get(CONTACT_ENV) or KGNEWS_CONTACT_URL
    return f"kgnews/{__version__} (Kyrgyz news archive; +{contact})"


def crawl_settings(db_url: str, overrides: Mapping[str, Any] | None = None) -> Settings:
    """kgnews's Scrapy settings for a crawl into `db_url`."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("KGNEWS_DATABASE_URL", db_url, priority="cmdline")
    contact = os.environ.get(CONTACT_ENV)
    if contact:
        settings.set("KGNEWS_CONTACT_URL", contact, priority="cmdline")
        settings.set("USER_AGENT", user_agent(), priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


@dataclass(frozen=True)
class CrawlResult:
    run_id: int | None
    """None when every source asked for was being crawled by another run."""
    status: str
    sources: list[SourceSummary]
    already_running: dict[str, int]
    """Sources left alone because another run is crawling them (source → run id)."""
    warc_error: str | None = None
    """Why raw pages could not be kept, if they could not (the crawl stopped there)."""
    health: dict[str, list[str]] = field(default_factory=dict)
    """Source → the health warnings this run raised (crawler.health)."""
    health_error: str | None = None
    """Why source health could not be recorded, if it could not."""
    database_lost: str | None = None
    """Why the database could not be written, when it stayed away past the retries."""
    not_recorded: int = 0
    """Pages fetched but not recorded then (the next run fetches them again)."""
    write_errors: int = 0
    """Pages whose write the database refused (each is an error fetch with the reason)."""
    write_error: str | None = None
    """The first such refusal."""
    close_reason: str | None = None
    """Why Scrapy closed the spider: `finished`, `closespider_timeout` (--max-minutes),
    `closespider_pagecount` (--max-pages), `shutdown` (a signal), …"""
    lock_lost: bool = False
    """Another run took this one's locks (it missed its heartbeats): it stopped at once."""
    stop_signals: tuple[int, ...] = ()
    """SIGINT/SIGTERM received while crawling: one stops gracefully, a second at once."""

    @property
    def unreachable(self) -> list[SourceSummary]:
        return [s for s in self.sources if s.unreachable]

    @property
    def exit_code(self) -> int:
        """0 when the crawl ran and every source answered, or another run has it all in
        hand; 1 otherwise."""
        if self.run_id is None:
            return 0
        ok = (
            self.status == "finished"
            and not self.unreachable
            and not self.warc_error
            and not self.database_lost
            and not self.write_errors
            and not self.not_recorded
        )
        return 0 if ok else 1


def result_of(crawler: Crawler, keys: list[str]) -> CrawlResult:
    stats = crawler.stats
    assert stats is not None
    busy: dict[str, int] = stats.get_value("kgnews/already_running") or {}
    return CrawlResult(
        run_id=stats.get_value("kgnews/run_id"),
        status=str(stats.get_value("kgnews/run_status", "failed")),
        sources=summarize(stats, [key for key in keys if key not in busy]),
        already_running=busy,
        warc_error=stats.get_value("kgnews/warc_error"),
        health=stats.get_value("kgnews/health") or {},
        health_error=stats.get_value("kgnews/health_error"),
        lock_lost=bool(stats.get_value("kgnews/lock_lost")),
        database_lost=stats.get_value("kgnews/database_lost"),
        not_recorded=int(stats.get_value("kgnews/not_recorded", 0)),
        write_errors=int(stats.get_value("kgnews/write_errors", 0)),
        write_error=stats.get_value("kgnews/write_error"),
        close_reason=stats.get_value("kgnews/close_reason"),
    )


def run_crawls(
    steps: Sequence[CrawlStep],
    db_url: str,
    overrides: Mapping[str, Any] | None = None,
    clock: Clock = utc_now,
) -> list[CrawlResult]:
    """Crawl one step after another in this process (Scrapy's reactor runs once), each
    step's `before` run just before its crawl; blocks until the last is done. A stop
    signal ends the crawl under way and the reactor with it: fewer results than steps,
    each with the signals received."""
    process = _Process(crawl_settings(db_url, overrides))
    results: list[CrawlResult] = []
    failures: list[Any] = []

    def crawl(step: CrawlStep) -> Any:
        step.before()
        crawler = process.create_crawler(NewsSpider)
        done = process.crawl(crawler, source_list=step.sources, clock=clock)
        done.addCallback(lambda _: results.append(result_of(crawler, step.keys)))
        return done

    first = crawl(steps[0])  # the first crawl installs Scrapy's reactor

    async def one_after_another() -> None:
        await first
        for step in steps[1:]:
            await crawl(step)

    from twisted.internet import defer
    from twisted.internet import reactor as _reactor
    from twisted.internet.error import ReactorNotRunning

    reactor: Any = _reactor

    def stop(_: object) -> None:
        with suppress(ReactorNotRunning):  # a stop signal has stopped it already
            reactor.stop()

    done = defer.ensureDeferred(one_after_another())
    done.addErrback(failures.append)
    done.addBoth(lambda _: reactor.callWhenRunning(stop, None))
    process.start(stop_after_crawl=False)
    if failures:
        failures[0].raiseException()
    return [replace(result, stop_signals=tuple(process.stop_signals)) for result in results]


@dataclass(frozen=True)
class CrawlStep:
    """One crawl of `run_crawls`."""

    sources: list[Source]
    before: Callable[[], None] = field(default=lambda: None)

    @property
    def keys(self) -> list[str]:
        return [source.key for source in self.sources]


class _Process(CrawlerProcess):
    """Scrapy's process, noting the stop signals it gets (Scrapy's own handling stays:
    the first stops scheduling and closes the run gracefully, a second stops at once)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.stop_signals: list[int] = []

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        from twisted.internet import reactor

        self.stop_signals.append(signum)
        super()._signal_shutdown(signum, frame)
        reactor.callFromThread(self._stopping, signum)  # not from the handler: see Scrapy's

    def _stopping(self, signum: int) -> None:
        """Write the pages in hand, then say the crawl is stopping (a second signal after
        that line loses none of them)."""
        done = deferred_from_coro(self._write_in_hand())
        done.addBoth(lambda _: _say_stopping(signum))

    async def _write_in_hand(self) -> None:
        for crawler in list(self.crawlers):
            await crawler.signals.send_catch_log_async(stop_requested)

    def _signal_kill(self, signum: int, frame: Any) -> None:
        self.stop_signals.append(signum)
        super()._signal_kill(signum, frame)


def _say_stopping(signum: int) -> None:
    name = signal.Signals(signum).name
    sys.stderr.write(
        f"kgnews: {name}: stopping once the pages in hand are archived "
        f"(send {name} again to stop at once)\n"
    )
    sys.stderr.flush()


def run_crawl(
    sources: list[Source],
    db_url: str,
    overrides: Mapping[str, Any] | None = None,
    clock: Clock = utc_now,
) -> CrawlResult:
    """Crawl `sources` into the archive at `db_url`, in this process; blocks until done."""
    process = _Process(crawl_settings(db_url, overrides))
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, source_list=sources, clock=clock)
    process.start()
    result = result_of(crawler, [s.key for s in sources])
    return replace(result, stop_signals=tuple(process.stop_signals))
