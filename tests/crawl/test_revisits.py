"""Scheduled, incremental crawls: what is due is fetched again (conditionally), what is
not due is not, an edit makes exactly one new version. Clocks are set, never slept."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_twisted
from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import Session

from crawler.demo.mirror import MirrorServer
from crawler.store.engine import make_engine
from crawler.store.models import Article, ArticleVersion, CrawlRun, Fetch
from tests.crawl.harness import FIXTURES, FixedClock, crawl, serving, user_sources
from tests.helpers import run_kgnews

SITE = FIXTURES / "user-site"
T1 = datetime(2024, 6, 3, 16, 0, tzinfo=UTC)  # article 103 is 6¼ h old, 102 two days, 101 two weeks
EDITED = ("Сатуучулар бааны мал жемдин кымбатташы менен түшүндүрүштү.",
          "Сатуучулар бааны мал жемдин жана күйүүчү майдын кымбатташы менен түшүндүрүштү.")  # fmt: skip


def copy_site(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SITE, tmp_path / "site"))


def article_requests(server: object) -> list[tuple[str, dict[str, str]]]:
    return [
        (path, headers) for _m, path, headers in server.requests if path.startswith("/kg/news/")
    ]  # type: ignore[attr-defined]


def run_outcomes(engine: Engine, run_id: int) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.execute(select(Fetch.url, Fetch.outcome).where(Fetch.crawl_run_id == run_id))
        return {url.rsplit("/", 1)[-1]: outcome for url, outcome in rows}


def versions_of(engine: Engine) -> dict[str, list[int]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Article.url, ArticleVersion.version)
            .join(ArticleVersion, ArticleVersion.article_id == Article.id)
            .order_by(ArticleVersion.version)
        )
        found: dict[str, list[int]] = {}
        for url, number in rows:
            found.setdefault(url.rsplit("/", 1)[-1], []).append(number)
        return found


@pytest_twisted.inlineCallbacks
def test_an_edit_between_runs_is_one_new_version_and_diff_shows_only_it(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = copy_site(tmp_path)
    with serving(site) as (server,):
        sources = user_sources(site / "sources.toml.in", server.origin)
        first = yield crawl(sources, db_url, FixedClock(T1))
        page = site / "kg" / "news" / "103.html"
        page.write_text(page.read_text(encoding="utf-8").replace(*EDITED), encoding="utf-8")
        second = yield crawl(sources, db_url, FixedClock(T1 + timedelta(minutes=61)))
        url = f"{server.origin}/kg/news/103"

    assert run_outcomes(archive, first.run_id) == {"101": "new", "102": "new", "103": "new"}
    # An hour on, only 103 (under a day old: hourly) is due; it changed.
    assert run_outcomes(archive, second.run_id) == {"103": "changed"}
    assert versions_of(archive) == {"101": [1], "102": [1], "103": [1, 2]}

    diff = run_kgnews("diff", url, "--db", db_url, "--no-color")
    assert diff.returncode == 0, diff.stderr
    lines = diff.stdout.strip().splitlines()
    assert lines[0].startswith(f"{url}: version 1") and "→ version 2" in lines[0]
    assert lines[1:] == [
        "¶2: Сатуучулар бааны мал жемдин {+жана күйүүчү майдын+} кымбатташы менен түшүндүрүштү."
    ]

    history = run_kgnews("history", url, "--db", db_url)
    assert "+3 −0 words" in history.stdout


@pytest_twisted.inlineCallbacks
def test_an_unchanged_site_answers_revisits_with_304_and_no_version(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    with serving(copy_site(tmp_path)) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1))
        before = len(article_requests(server))
        later = yield crawl(sources, db_url, FixedClock(T1 + timedelta(days=4)))  # all three due
        revisits = article_requests(server)[before:]

    assert run_outcomes(archive, later.run_id) == {
        "101": "not_modified",
        "102": "not_modified",
        "103": "not_modified",
    }
    assert versions_of(archive) == {"101": [1], "102": [1], "103": [1]}
    assert len(revisits) == 3
    assert all(
        "If-None-Match" in headers and "If-Modified-Since" in headers for _, headers in revisits
    )
    with Session(archive) as session:
        last = session.scalars(select(Article.last_fetched_at)).all()
    assert set(last) == {T1 + timedelta(days=4)}


@pytest_twisted.inlineCallbacks
def test_what_is_not_due_is_not_fetched_unless_recheck_all(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    with serving(copy_site(tmp_path)) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1))
        fetched_once = len(article_requests(server))
        soon = yield crawl(sources, db_url, FixedClock(T1 + timedelta(minutes=5)))
        after_soon = len(article_requests(server))
        forced = yield crawl(
            sources, db_url, FixedClock(T1 + timedelta(minutes=6)), {"KGNEWS_RECHECK": "all"}
        )
        after_forced = len(article_requests(server))
        never = yield crawl(
            sources, db_url, FixedClock(T1 + timedelta(days=4)), {"KGNEWS_RECHECK": "none"}
        )

    assert fetched_once == 3
    assert after_soon == 3 and run_outcomes(archive, soon.run_id) == {}
    assert after_forced == 6 and set(run_outcomes(archive, forced.run_id).values()) == {
        "not_modified"
    }
    assert run_outcomes(archive, never.run_id) == {}


@pytest_twisted.inlineCallbacks
def test_a_sitemap_lastmod_older_than_the_last_fetch_skips_the_page(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = copy_site(tmp_path)
    (site / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://kabarlar.example/kg/news/102</loc><lastmod>2024-06-01T03:00:00Z</lastmod></url>"
        "<url><loc>https://kabarlar.example/kg/news/103</loc><lastmod>2024-06-07T00:00:00Z</lastmod></url>"
        "</urlset>",
        encoding="utf-8",
    )
    template = site / "sources.toml.in"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "feeds = [", 'sitemaps = ["{origin}/sitemap.xml"]\nfeeds = ['
        )
    )
    with serving(site) as (server,):
        sources = user_sources(template, server.origin)
        yield crawl(sources, db_url, FixedClock(T1))
        later = yield crawl(sources, db_url, FixedClock(T1 + timedelta(days=4)))  # all due by age

    outcomes = run_outcomes(archive, later.run_id)
    assert "102" not in outcomes  # lastmod 1 June: unchanged since the fetch of 3 June
    assert outcomes["103"] == "not_modified" and outcomes["101"] == "not_modified"


@pytest_twisted.inlineCallbacks
def test_runs_are_recorded_with_their_counts(archive: Engine, db_url: str, tmp_path: Path) -> None:
    with serving(copy_site(tmp_path)) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1))
        yield crawl(sources, db_url, FixedClock(T1 + timedelta(days=4)))
    with Session(archive) as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [(r.status, r.sources, r.new_count, r.not_modified_count) for r in runs] == [
            ("finished", ["example"], 3, 0),
            ("finished", ["example"], 0, 3),
        ]
        assert runs[0].started_at == T1 and runs[1].finished_at == T1 + timedelta(days=4)
    listing = run_kgnews("runs", "--db", db_url)
    assert listing.returncode == 0 and listing.stdout.count("finished") == 2


@pytest_twisted.inlineCallbacks
def test_a_full_refetch_of_an_unchanged_site_is_unchanged_every_time(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    # A site that ignores conditional requests sends every page again in full: the text
    # is the same, so each fetch is 'unchanged' and no version is added.
    site = copy_site(tmp_path)
    (site / "mirror.toml").write_text(
        "conditional = false\n" + (site / "mirror.toml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    with serving(site) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1))
        again = yield crawl(
            sources, db_url, FixedClock(T1 + timedelta(minutes=6)), {"KGNEWS_RECHECK": "all"}
        )
    assert run_outcomes(archive, again.run_id) == {
        "101": "unchanged",
        "102": "unchanged",
        "103": "unchanged",
    }
    assert versions_of(archive) == {"101": [1], "102": [1], "103": [1]}


def feed_answers(server: MirrorServer) -> list[tuple[int, int]]:
    """(status, body bytes) of each answer the feed gave since the last look."""
    answers = [(status, size) for path, status, size in server.responses if path == "/rss"]
    server.responses.clear()
    return answers


@pytest_twisted.inlineCallbacks
def test_an_unchanged_feed_is_asked_for_conditionally_and_not_sent_again(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = copy_site(tmp_path)
    with serving(site) as (server,):
        sources = user_sources(site / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1))
        first = feed_answers(server)
        yield crawl(sources, db_url, FixedClock(T1 + timedelta(minutes=5)))
        unchanged = feed_answers(server)
        sent = [headers for _m, path, headers in server.requests if path == "/rss"][-1]
        feed = site / "rss.xml"  # a new article in the feed: it is read whole again
        feed.write_text(
            feed.read_text(encoding="utf-8").replace(
                "<item>", "<item><title>Жаңы</title></item><item>", 1
            ),
            encoding="utf-8",
        )
        yield crawl(sources, db_url, FixedClock(T1 + timedelta(minutes=10)))
        changed = feed_answers(server)

    assert first[0][0] == 200 and first[0][1] > 0
    assert unchanged == [(304, 0)]
    assert sent.get("If-None-Match", "").startswith('"') and "If-Modified-Since" in sent
    assert changed[0][0] == 200 and changed[0][1] > 0


@pytest_twisted.inlineCallbacks
def test_a_feed_is_read_whole_again_after_a_run_that_did_not_archive_everything(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    # A 304 would hide the links such a run did not archive: a run cut short, or one in
    # which a page the feed led to could not be fetched.
    site = copy_site(tmp_path)
    with serving(site) as (server,):
        sources = user_sources(site / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1), {"KGNEWS_MAX_PAGES": 2})
        after_cut_short = (feed_answers(server), len(versions_of(archive)))
        yield crawl(sources, db_url, FixedClock(T1 + timedelta(minutes=5)))
        next_run = (feed_answers(server), sorted(versions_of(archive)))

    error_site = copy_site(tmp_path / "again")
    missing = error_site / "kg" / "news" / "103.html"
    kept = missing.read_bytes()
    missing.unlink()  # 103 cannot be fetched (404): an error fetch
    with serving(error_site) as (server,):
        sources = user_sources(error_site / "sources.toml.in", server.origin)
        other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
        yield crawl(sources, other, FixedClock(T1))
        missing.write_bytes(kept)
        yield crawl(sources, other, FixedClock(T1 + timedelta(minutes=5)))
        after_error = feed_answers(server)
        found = sorted(versions_of(make_engine(make_url(other))))

    assert after_cut_short[1] < 3  # the run ended before every article was archived
    assert [status for status, _size in next_run[0]] == [200]
    assert next_run[1] == ["101", "102", "103"]
    assert [status for status, _size in after_error] == [200, 200]
    assert found == ["101", "102", "103"]


@pytest_twisted.inlineCallbacks
def test_a_feed_that_answers_304_is_not_a_source_that_found_nothing(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = copy_site(tmp_path)
    with serving(site) as (server,):
        feed_only = [
            replace(source, listings=())
            for source in user_sources(site / "sources.toml.in", server.origin)
        ]
        yield crawl(feed_only, db_url, FixedClock(T1))
        again = yield crawl(feed_only, db_url, FixedClock(T1 + timedelta(minutes=5)))
        answers = feed_answers(server)
    assert answers[-1] == (304, 0)  # no links read this time: nothing new, not nothing found
    assert again.health == {"example": []}
