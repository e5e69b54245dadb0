"""`scrapy crawl news -a source=KEY[,KEY] [-a sources=FILE]`, kgnews's way.

- A mistake in the arguments (an unknown source, a sources file that does not load) is one
  line, `kgnews: error: …`, exit status 2, before anything is crawled.
- A job on a crawl node (KGNEWS_NODE set) with no archive named, or a node name unfit
  for a folder, is refused the same way (crawler.cluster.names).
- A source that could not be reached at all makes the exit status 1, as in `kgnews crawl`
  (Scrapy's own exits 0 whatever the spider met).
"""

from __future__ import annotations

import argparse
import os
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.cluster.names import node_job_problem
from crawler.crawl import result_of
from crawler.errors import UserError
from crawler.spiders.news import NewsSpider


class Command(ScrapyCrawl):
    keys: list[str] | None = None

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if args == [NewsSpider.name]:  # before Scrapy starts (and logs): mistakes first
            assert self.settings is not None
            problem = node_job_problem(
                self.settings.get("KGNEWS_NODE"),
                self.settings.get("KGNEWS_DATABASE_URL"),
                os.environ,
            )
            try:
                if problem:
                    raise UserError(problem)
                self.keys = _source_keys(opts.spargs)
            except UserError as exc:
                sys.stderr.write(f"kgnews: error: {exc}\n")
                sys.exit(2)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if self.keys is None:
            super().run(args, opts)
            return
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        result = result_of(crawler, self.keys)
        for source in result.unreachable:
            sys.stderr.write(f"kgnews: {source.key} unreachable: {source.connection_error}\n")
        self.exitcode = max(self.exitcode, result.exit_code)


def _source_keys(spargs: dict[str, str]) -> list[str]:
    """The sources the spider will crawl, loaded as it loads them (so a mistake shows here)."""
    from crawler.sources.registry import load_registry

    keys = [key.strip() for key in spargs.get("source", "").split(",") if key.strip()]
    return [source.key for source in load_registry(spargs.get("sources")).select(keys)]
