"""Politeness a site can see: who we are, and robots.txt Crawl-delay between requests."""

from __future__ import annotations

import shutil
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest
import pytest_twisted
from scrapy.core.downloader import Slot
from scrapy.crawler import CrawlerRunner
from sqlalchemy import Engine

from crawler.crawl import crawl_settings
from crawler.demo.mirror import Mirror, MirrorServer
from crawler.politeness import pacing
from crawler.spiders.news import NewsSpider
from tests.crawl.harness import FIXTURES, crawl, user_sources

SITE = FIXTURES / "user-site"


@pytest.mark.parametrize("jitter", [0.0, 0.5])
@pytest_twisted.inlineCallbacks
def test_crawl_delay_from_robots_txt_spaces_the_requests(
    archive: Engine, db_url: str, tmp_path: Path, jitter: float
) -> None:
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\nCrawl-delay: 0.5\n")
    with MirrorServer(Mirror.load(site)) as server:
        times: list[float] = []
        handler = server.RequestHandlerClass

        class Timed(handler):  # type: ignore[misc,valid-type]
            def do_GET(self) -> None:
                import time

                times.append(time.monotonic())
                super().do_GET()

        server.RequestHandlerClass = Timed
        # with jitter (±50 % by default), Scrapy alone would draw delays down to 0.25 s
        settings = {"DOWNLOAD_DELAY_JITTER": jitter}
        yield crawl(user_sources(site / "sources.toml.in", server.origin), db_url, None, settings)
        agents = {headers.get("User-Agent", "") for _m, _p, headers in server.requests}

    gaps = [later - earlier for earlier, later in pairwise(times[1:])]  # after robots.txt
    assert len(gaps) >= 4 and min(gaps) >= 0.45, gaps
    assert all(agent.startswith("kgnews/") and "+https://" in agent for agent in agents), agents


@pytest.mark.parametrize("jitter", [0.0, 0.2, 0.5, 1.0, 3.0])
def test_jitter_only_ever_adds_to_a_sites_minimum_delay(jitter: float) -> None:
    settings = pacing(2.0, jitter)
    slot = Slot(1, settings["delay"], settings["jitter"])
    draws = [slot.download_delay() for _ in range(5000)]
    assert min(draws) >= 2.0
    assert max(draws) <= 2.0 * (1 + jitter) + 1e-9
    if jitter:  # still random: spread over most of the allowed range
        assert max(draws) - min(draws) > 0.8 * 2.0 * jitter


def test_a_source_with_no_delay_is_not_given_the_default_one(archive: Engine, db_url: str) -> None:
    # `delay = 0` in a sources file means "do not wait" (a mirror of our own, a local
    # copy), not "not given": Scrapy's slot would otherwise wait the 1 s default.
    base = user_sources(SITE / "sources.toml.in", "http://127.0.0.1:1")[0]
    zero, unset = replace(base, key="fast", delay=0.0), replace(base, key="polite", delay=None)
    settings = {"DOWNLOAD_DELAY": 1.0, "DOWNLOAD_DELAY_JITTER": 0.0}
    crawler = CrawlerRunner(crawl_settings(db_url, settings)).create_crawler(NewsSpider)
    NewsSpider.from_crawler(crawler, source_list=[zero, unset])
    slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
    assert slots["fast"]["delay"] == 0.0
    assert slots["polite"]["delay"] == 1.0
