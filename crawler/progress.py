"""The progress line while a crawl runs, and the per-source summary at its end.

Both read the crawl's stats: the pipeline counts outcomes per source
(`kgnews/<source>/<outcome>`); this extension counts pages per source.
Progress goes to stderr (rewritten in place on a terminal, a line every
KGNEWS_PROGRESS_INTERVAL seconds otherwise); the summary goes to stdout.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

from crawler.store.models import OUTCOMES


@dataclass
class SourceSummary:
    key: str
    pages: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    connection_error: str | None = None

    @property
    def unreachable(self) -> bool:
        """The site never answered this run."""
        return self.pages == 0 and self.connection_error is not None


def summarize(stats: StatsCollector, keys: list[str]) -> list[SourceSummary]:
    return [
        SourceSummary(
            key=key,
            pages=int(stats.get_value(f"kgnews/{key}/pages", 0)),
            outcomes={o: int(stats.get_value(f"kgnews/{key}/{o}", 0)) for o in OUTCOMES},
            connection_error=stats.get_value(f"kgnews/{key}/connection_error"),
        )
        for key in keys
    ]


def summary_table(rows: list[SourceSummary]) -> Table:
    table = Table(
        "source", "pages", "new", "changed", "unchanged", "304", "skipped", "errors", "note"
    )
    for row in rows:
        o = row.outcomes
        note = f"[red]unreachable: {row.connection_error}[/red]" if row.unreachable else ""
        table.add_row(
            row.key, str(row.pages), str(o["new"]), str(o["changed"]), str(o["unchanged"]),
            str(o["not_modified"]), str(o["skipped"]), str(o["error"]), note,
        )  # fmt: skip
    return table


class Progress:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.live = sys.stderr.isatty()
        self.interval = crawler.settings.getfloat(
            "KGNEWS_PROGRESS_INTERVAL", 1.0 if self.live else 30.0
        )
        self.show_summary = crawler.settings.getbool("KGNEWS_SUMMARY", True)
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened, weak=False)
        crawler.signals.connect(self.closed, signal=signals.spider_closed, weak=False)
        crawler.signals.connect(self.response, signal=signals.response_received, weak=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        return cls(crawler)

    def opened(self, spider: Spider) -> None:
        if self.interval > 0:
            self.loop = task.LoopingCall(self.report)
            self.loop.start(self.interval, now=False)

    def response(self, response: Response, request: Request, spider: Spider) -> None:
        source = request.meta.get("source")
        if source:
            self.stats.inc_value(f"kgnews/{source}/pages")
            self.stats.inc_value("kgnews/all/pages")

    def _total(self, name: str) -> int:
        return int(self.stats.get_value(f"kgnews/all/{name}", 0))

    def line(self) -> str:
        n = self._total
        return (
            f"kgnews: {n('pages')} pages · {n('new')} new · {n('changed')} changed · "
            f"{n('unchanged')} unchanged · {n('not_modified')} not modified · "
            f"{n('skipped')} skipped · {n('error')} errors"
        )

    def report(self) -> None:
        if self.live:
            self.console.file.write("\r" + self.line() + "\x1b[K")
            self.console.file.flush()
        else:
            self.console.print(self.line())

    def closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live:
            self.console.file.write("\r\x1b[K")
        self.console.print(self.line())
        if self.show_summary:
            keys: list[str] = list(getattr(spider, "sources", {}))
            Console(width=140).print(summary_table(summarize(self.stats, keys)))
