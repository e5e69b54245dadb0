"""Source health after real crawls of the mirrors: a redesign, a silent site, and no false
alarms. The crawl's clock is set by hand (FixedClock); nothing sleeps."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_twisted
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crawler.sources.registry import load_registry
from crawler.store.models import Fetch
from tests.crawl.harness import MIRRORS, FixedClock, archived, crawl, serving, shipped
from tests.helpers import run_kgnews

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KEYS = [key for key in load_registry().source_keys() if (MIRRORS / key / "mirror.toml").is_file()]


def redesign(mirror: Path) -> None:
    """The site renames its article body's class, as a redesign does."""
    for page in (mirror / "a").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace('<div class="wsw">', '<div class="article__text">'))


@pytest_twisted.inlineCallbacks
def test_a_renamed_body_class_still_archives_every_article_and_is_flagged(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    mirror = tmp_path / "azattyk"
    shutil.copytree(MIRRORS / "azattyk", mirror)
    with serving(mirror) as (server,):
        source = shipped("azattyk", server)
        first = yield crawl([source], db_url, FixedClock(NOW))
        before = {url: version.body for url, version in archived(archive).items()}
        redesign(mirror)
        again = yield crawl(
            [source], db_url, FixedClock(NOW + timedelta(hours=1)), {"KGNEWS_RECHECK": "all"}
        )
    assert first.health == {"azattyk": []}
    after = {url: version.body for url, version in archived(archive).items()}
    assert after == before, "every article still archived, with the same body"
    with Session(archive) as session:
        fallbacks = session.scalars(
            select(Fetch.fallback).where(
                Fetch.crawl_run_id == again.run_id, Fetch.words.is_not(None)
            )
        ).all()
    assert len(fallbacks) == len(before)
    assert set(fallbacks) == {"body_selector '#article-content .wsw' matched nothing"}
    (line,) = again.health["azattyk"]
    assert line.startswith(
        f"body_selector '#article-content .wsw' matched 0 of {len(before)} pages (before: 100%)"
    ), line

    shown = run_kgnews("health", "--db", db_url, "azattyk")
    assert shown.returncode == 0, shown.stderr
    assert f"warning: azattyk: {line}" in shown.stdout
    failing = run_kgnews("health", "--db", db_url, "--fail-on-warning")
    assert failing.returncode == 1
    assert "warning: azattyk: body_selector" in failing.stdout


@pytest_twisted.inlineCallbacks
def test_a_source_that_stops_publishing_is_flagged_after_its_usual_gap(
    archive: Engine, db_url: str
) -> None:
    with serving(MIRRORS / "super") as (server,):
        source = shipped("super", server)
        first = yield crawl([source], db_url, FixedClock(NOW))
        soon = yield crawl([source], db_url, FixedClock(NOW + timedelta(days=2)))
        late = yield crawl([source], db_url, FixedClock(NOW + timedelta(days=10)))
    # The mirror's articles came out a day or so apart (its usual gap): two quiet days
    # are within three gaps, ten are not.
    assert first.health == {"super": []} and soon.health == {"super": []}
    (line,) = late.health["super"]
    assert line.startswith("no new article for 10.0 days (one usually comes every "), line


@pytest_twisted.inlineCallbacks
def test_ten_ordinary_crawls_of_every_mirror_raise_no_warning(archive: Engine, db_url: str) -> None:
    directories = [MIRRORS / key for key in KEYS]
    with serving(*directories) as servers:
        sources = [shipped(key, server) for key, server in zip(KEYS, servers, strict=True)]
        for run in range(10):  # the timer's rhythm: every 15 minutes
            result = yield crawl(sources, db_url, FixedClock(NOW + timedelta(minutes=15 * run)))
            assert result.health == {key: [] for key in KEYS}, run
    shown = run_kgnews("health", "--db", db_url, "--fail-on-warning")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"{len(KEYS)} sources, no warnings" in shown.stdout
