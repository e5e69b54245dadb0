"""`kgnews crawl` and Scrapy's own tools, as a user runs them, in processes of their own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler import __version__
from crawler.store.engine import make_engine, resolve_url
from crawler.store.models import Article, ArticleVersion, CrawlRun, Fetch, SourceHealth
from tests.crawl.harness import FIXTURES, serving, user_sources_file
from tests.helpers import assert_user_error, run_kgnews

ROOT = Path(__file__).resolve().parents[2]
SITE = FIXTURES / "user-site"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"]


def counts(db: Path) -> tuple[int, int, dict[str, int]]:
    engine = make_engine(resolve_url(str(db)))
    with Session(engine) as session:
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        versions = session.scalar(select(func.count()).select_from(ArticleVersion)) or 0
        outcomes = dict(
            session.execute(select(Fetch.outcome, func.count()).group_by(Fetch.outcome)).all()
        )
    engine.dispose()
    return articles, versions, outcomes  # type: ignore[return-value]


def test_a_second_crawl_adds_no_article_and_no_version(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite3"
    with serving(SITE) as (server,):
        sources = user_sources_file(tmp_path, server.origin)
        crawl = ["crawl", "--sources", str(sources), "--db", str(db), *FAST]
        first = run_kgnews(*crawl)
        assert first.returncode == 0, first.stdout + first.stderr
        assert counts(db) == (3, 3, {"new": 3})
        # Right away, nothing known is due: the articles are not fetched again.
        second = run_kgnews(*crawl)
        assert second.returncode == 0, second.stdout + second.stderr
        assert counts(db) == (3, 3, {"new": 3})
        # Asked to fetch everything again: conditional requests, answered 304.
        third = run_kgnews(*crawl, "--recheck", "all")
        article_requests = [h for _m, path, h in server.requests if path.startswith("/kg/news/")]
    assert third.returncode == 0, third.stdout + third.stderr
    assert counts(db) == (3, 3, {"new": 3, "not_modified": 3}), third.stderr[-3000:]
    assert sum(1 for h in article_requests if "If-None-Match" in h) == 3


def test_unreachable_sites_are_named_and_the_exit_status_says_so(tmp_path: Path) -> None:
    file = tmp_path / "offline.toml"
    file.write_text(
        """
[[sources]]
key = "refused"
name = "Refused"
language = "ky"
listings = ["http://127.0.0.1:9/kg/news"]
article_pattern = "/kg/news/\\\\d+"

[[sources]]
key = "nowhere"
name = "Nowhere"
language = "ky"
feeds = ["https://kabarlar.invalid/rss"]
article_pattern = "/kg/news/\\\\d+"
""",
        encoding="utf-8",
    )
    result = run_kgnews("crawl", "--sources", str(file), "--db", str(tmp_path / "a.sqlite3"), *FAST)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "refused unreachable: listing: connection refused by 127.0.0.1:9" in result.stderr
    assert "nowhere unreachable: feed: DNS lookup failed for kabarlar.invalid" in result.stderr
    assert "unreachable" in result.stdout  # the summary table names them too
    assert counts(tmp_path / "a.sqlite3")[2] == {"error": 2}
    assert "no source could be reached" in result.stderr and "`kgnews demo`" in result.stderr
    # Scrapy's own command says the same and fails the same way.
    scrapy_result = scrapy(
        "crawl", "news", "-a", f"sources={file}", "-s", f"KGNEWS_DATABASE_URL=sqlite:///{tmp_path / 'b.sqlite3'}",
        "-s", "DOWNLOAD_DELAY=0",
    )  # fmt: skip
    assert scrapy_result.returncode == 1, scrapy_result.stderr[-2000:]
    assert "refused unreachable: listing: connection refused" in scrapy_result.stderr


def test_crawl_refuses_a_bad_database_before_crawling(tmp_path: Path) -> None:
    from tests.helpers import assert_user_error

    result = run_kgnews("crawl", "--db", str(tmp_path / "missing" / "a.sqlite3"))
    assert_user_error(result, "does not exist")


def scrapy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_scrapy_list() -> None:
    result = scrapy("list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["news"]


def test_scrapy_crawl_news_says_a_mistake_in_one_line(tmp_path: Path) -> None:
    from tests.helpers import assert_user_error

    result = scrapy("crawl", "news", "-a", "source=nosuch")
    assert_user_error(result, "unknown source 'nosuch'", "azattyk")
    missing = scrapy("crawl", "news", "-a", f"sources={tmp_path / 'none.toml'}")
    assert_user_error(missing, "no such sources file")


def test_scrapy_crawl_news_with_a_sources_file(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite3"
    with serving(SITE) as (server,):
        sources = user_sources_file(tmp_path, server.origin)
        result = scrapy(
            "crawl", "news", "-a", f"sources={sources}", "-a", "source=example",
            "-s", f"KGNEWS_DATABASE_URL=sqlite:///{db}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert counts(db)[:2] == (3, 3)


def test_the_contact_url_goes_into_the_user_agent(tmp_path: Path) -> None:
    with serving(SITE) as (server,):
        sources = user_sources_file(tmp_path, server.origin)
        result = run_kgnews(
            "crawl", "--sources", str(sources), "--db", str(tmp_path / "a.sqlite3"), *FAST,
            env={"KGNEWS_CONTACT_URL": "https://archive.example.kg/about"},
        )  # fmt: skip
        agents = {headers.get("User-Agent") for _m, _p, headers in server.requests}
    assert result.returncode == 0, result.stderr
    assert agents == {
        f"kgnews/{__version__} (Kyrgyz news archive; +https://archive.example.kg/about)"
    }


def test_max_pages_ends_a_run_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    with serving(SITE) as (server,):
        sources = user_sources_file(tmp_path, server.origin)
        result = run_kgnews(
            "crawl", "--sources", str(sources), "--db", str(db), "--max-pages", "3", *FAST
        )
        pages = [path for _m, path, _h in server.requests if path != "/robots.txt"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(pages) == 3, pages
    engine = make_engine(resolve_url(str(db)))
    with Session(engine) as session:
        assert session.execute(select(CrawlRun.status)).scalars().all() == ["finished"]
        assert (session.scalar(select(func.count()).select_from(Article)) or 0) < 3
        # A run cut short saw part of the site: not measured, so no false health alarm.
        assert session.scalar(select(func.count()).select_from(SourceHealth)) == 0
    assert "health" not in result.stderr


def test_max_minutes_ends_a_run_cleanly(tmp_path: Path) -> None:
    from crawler.demo.mirror import Mirror
    from tests.crawl.harness import GatedMirrorServer

    db = tmp_path / "a.sqlite3"
    # The first article never answers until the run is over: only the time limit ends it.
    with GatedMirrorServer(Mirror.load(SITE), "/kg/news/101") as server:
        sources = user_sources_file(tmp_path, server.origin)
        result = run_kgnews(
            "crawl", "--sources", str(sources), "--db", str(db), "--max-minutes", "0.02", *FAST
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # The limit, not the download timeout (30 s) nor the held page's own, ended it.
    assert (
        "kgnews: the time limit (--max-minutes 0.02) ended the run; what is left is crawled "
        "next time"
    ) in result.stderr
    engine = make_engine(resolve_url(str(db)))
    with Session(engine) as session:
        assert session.execute(select(CrawlRun.status)).scalars().all() == ["finished"]
        # The held article never answered within the limit: it is not archived.
        urls = session.scalars(select(Article.url)).all()
    assert not any(url.endswith("/kg/news/101") for url in urls), urls


def test_a_crawl_ends_with_the_sources_health_warnings(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite3"
    with serving(SITE) as (server,):
        sources = user_sources_file(tmp_path, server.origin)
        text = sources.read_text(encoding="utf-8")  # the site was redesigned
        sources.write_text(text.replace('".article-body"', '".story-text"'), encoding="utf-8")
        result = run_kgnews("crawl", "--sources", str(sources), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not a failure
    assert counts(db)[:2] == (3, 3), "every article archived all the same"
    assert (
        "kgnews: health: example: body_selector '.story-text' matched 0 of 3 pages" in result.stderr
    )
    shown = run_kgnews("health", "--db", str(db), "--fail-on-warning")
    assert shown.returncode == 1
    assert "warning: example: body_selector '.story-text' matched 0 of 3 pages" in shown.stdout


def test_a_threshold_that_is_not_a_number_is_refused_before_crawling(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite3"
    with serving(SITE) as (server,):
        sources = user_sources_file(tmp_path, server.origin)
        result = run_kgnews(
            "crawl", "--sources", str(sources), "--db", str(db),
            "-s", "KGNEWS_HEALTH_SHRINK_FACTOR=half",
        )  # fmt: skip
        requests = list(server.requests)
    assert_user_error(result, "KGNEWS_HEALTH_SHRINK_FACTOR='half'", "not a number")
    assert requests == [] and not db.exists()


def test_the_warc_folder_from_the_environment_and_an_empty_one_is_no_opt_out(
    tmp_path: Path,
) -> None:
    """KGNEWS_WARC_DIR (a crawl node's environment) names the folder; set but empty, it is
    as if unset: raw pages are still kept (only --no-warc drops them)."""
    chosen = tmp_path / "chosen-warc"
    with serving(SITE) as (server,):
        sources = user_sources_file(tmp_path, server.origin)
        for name, value in (("chosen", str(chosen)), ("empty", "")):
            db = tmp_path / f"{name}.sqlite3"
            result = run_kgnews("crawl", "--sources", str(sources), "--db", str(db), *FAST,
                                env={"KGNEWS_WARC_DIR": value})  # fmt: skip
            assert result.returncode == 0, result.stderr
    assert list(chosen.glob("*.warc.gz"))
    assert list((tmp_path / "empty-warc").glob("*.warc.gz"))  # the default, beside the file
