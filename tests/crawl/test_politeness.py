"""Politeness a site can see: who we are, and robots.txt Crawl-delay between requests."""

from __future__ import annotations

import shutil
from itertools import pairwise
from pathlib import Path

import pytest_twisted
from sqlalchemy import Engine

from crawler.demo.mirror import Mirror, MirrorServer
from tests.crawl.harness import FIXTURES, crawl, user_sources

SITE = FIXTURES / "user-site"


@pytest_twisted.inlineCallbacks
def test_crawl_delay_from_robots_txt_spaces_the_requests(
    archive: Engine, db_url: str, tmp_path: Path
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
        yield crawl(user_sources(site / "sources.toml.in", server.origin), db_url)
        agents = {headers.get("User-Agent", "") for _m, _p, headers in server.requests}

    gaps = [later - earlier for earlier, later in pairwise(times[1:])]  # after robots.txt
    assert len(gaps) >= 4 and min(gaps) >= 0.45, gaps
    assert all(agent.startswith("kgnews/") and "+https://" in agent for agent in agents), agents
