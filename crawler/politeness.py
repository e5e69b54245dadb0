"""Politeness Scrapy does not do by itself.

- Crawl-delay from robots.txt raises the delay of the site's download slot (Scrapy
  parses it since 2.18, but never applies it).
- AutoThrottle never goes below a slot's own delay (a source's `delay`, or its
  Crawl-delay): stock AutoThrottle only knows the global DOWNLOAD_DELAY.
- Jitter only ever adds time: Scrapy draws each delay in delay × (1 ± jitter), so a
  Crawl-delay of 2 s with the default ±50 % could come out as 1 s. A slot with a
  minimum is centred higher, with a narrower jitter, so its draws stay at or above it.

A slot's floor lives in the downloader's per-slot settings (DOWNLOAD_SLOTS), so a slot
that is collected when idle comes back with the same floor.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response

logger = logging.getLogger(__name__)


def slot_key(request: Request) -> str:
    return str(request.meta.get("download_slot") or request.url.split("/")[2])


def floor(crawler: Crawler, key: str) -> float:
    """The smallest delay the slot `key` may have."""
    assert crawler.engine is not None
    slots = crawler.engine.downloader.per_slot_settings
    return float(slots.get(key, {}).get("delay", crawler.settings.getfloat("DOWNLOAD_DELAY")))


def pacing(minimum: float, jitter: float) -> dict[str, float]:
    """Slot settings whose delays, jitter included, never fall below `minimum` seconds.

    Scrapy draws a slot's delay uniformly in delay × (1 ± jitter); a delay of
    minimum × (1 + jitter/2) with a jitter of jitter / (2 + jitter) draws in
    [minimum, minimum × (1 + jitter)]: as random as asked, but only ever slower.
    """
    jitter = max(0.0, jitter)
    return {
        "minimum": minimum,
        "delay": minimum * (1 + jitter / 2),
        "jitter": jitter / (2 + jitter),
    }


def raise_floor(crawler: Crawler, key: str, delay: float) -> None:
    """From now on, wait at least `delay` seconds between requests in slot `key`."""
    assert crawler.engine is not None
    downloader = crawler.engine.downloader
    settings = downloader.per_slot_settings.setdefault(key, {})
    if delay <= float(settings.get("minimum", 0.0)):
        return
    settings.update(pacing(delay, crawler.settings.getfloat("DOWNLOAD_DELAY_JITTER")))
    slot = downloader.slots.get(key)
    if slot is not None:
        slot.delay = max(slot.delay, settings["delay"])
        slot.jitter = settings["jitter"]


def slow_down(crawler: Crawler, key: str, delay: float) -> None:
    """Send nothing in slot `key` for `delay` seconds from now, and keep at least that
    delay between its requests (AutoThrottle brings it back down to the floor as the
    site answers well again). The slot exists: its request has just been answered.

    Scrapy counts a slot's delay from when the last request was *sent*, and draws it
    with jitter (DOWNLOAD_DELAY_JITTER, ±50 %), so raising the delay alone could retry
    a 429 with Retry-After: 1 after half a second. Moving the slot's last-seen time
    forward makes the wait count from the answer, whatever the draw.
    """
    assert crawler.engine is not None
    slot = crawler.engine.downloader.slots.get(key)
    if slot is not None:
        slot.delay = max(slot.delay, delay)
        shortest = slot.delay * max(0.0, 1.0 - slot.jitter)
        slot.lastseen = max(slot.lastseen, monotonic() + delay - shortest)


class CrawlDelay:
    """Applies robots.txt Crawl-delay to the slot of the site that asked for it."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent = crawler.settings.get("USER_AGENT") or "*"
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed, weak=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelay:
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = robotparser.crawl_delay(self.user_agent)
        if delay:
            key = slot_key(request)
            logger.info("robots.txt of %s asks for %s s between requests", key, delay)
            raise_floor(self.crawler, key, float(delay))


class PoliteThrottle(AutoThrottle):
    """AutoThrottle that keeps each slot at or above its own floor."""

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if key is not None and slot is not None:
            slot.delay = max(slot.delay, floor(self.crawler, key))
