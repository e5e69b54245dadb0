"""Every example query of docs/queries.sql, run on SQLite and PostgreSQL against a crawled
archive, and checked against what the archive holds (read through the ORM, not SQL).

The archive: every source's mirror crawled two hours ago; then an azattyk title and a
BBC paragraph edited, a kloop article gone (404), a new site added, and a second run an
hour ago that rechecks everything.
"""

from __future__ import annotations

import collections
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from crawler.store.documented import Named, documented_queries
from crawler.store.engine import make_engine, resolve_url
from crawler.store.models import Article, ArticleVersion, CrawlRun, Fetch, Source
from tests.conftest import BACKENDS, fresh_database
from tests.crawl.harness import (
    FIXTURES,
    MIRRORS,
    FixedClock,
    crawl,
    expectations,
    serving,
    shipped,
    user_sources,
)

QUERIES = Path(__file__).resolve().parent.parent / "docs" / "queries.sql"
NOW = datetime.now(UTC).replace(microsecond=0)
AZATTYK = "https://www.azattyk.org/a/32981204.html"
OLD_TITLE = "Чүйдө сугат суусу жетишпей, дыйкандар түшүмдөн кооптонууда"
NEW_TITLE = "Чүйдө сугат суусу жетишпей, дыйкандар түшүмсүз калышы мүмкүн"
BBC_PAGE = Path("kyrgyz/articles/c2e7v4kpl9qo.html")
KLOOP_PAGE = Path("2024/04/18/narynda-zhashtar-uchun-kovorking-borboru-achyldy/index.html")


def documented() -> list[Named]:
    return documented_queries(QUERIES)


def test_the_queries_are_many_and_each_runs_on_both_backends() -> None:
    queries = documented()
    names = {q.name for q in queries}
    assert len(names) >= 12
    for name in names:
        dialects = {q.dialect for q in queries if q.name == name}
        assert dialects in ({None}, {"sqlite", "postgresql"}), name


@dataclass
class Built:
    engine: Engine
    origins: dict[str, str]  # real origin → mirror origin


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    directory = tmp_path_factory.mktemp(f"queries-{request.param}")
    mirrors = Path(shutil.copytree(MIRRORS, directory / "mirrors"))
    site = Path(shutil.copytree(FIXTURES / "user-site", directory / "site"))
    with (
        fresh_database(request.param, directory) as url,
        serving(*sorted(mirrors.iterdir()), site) as servers,
    ):
        by_key = {server.mirror.root.name: server for server in servers}
        keys = sorted(k for k in by_key if k != "site")
        sources = [shipped(key, by_key[key]) for key in keys]
        pytest_twisted.blockon(crawl(sources, url, FixedClock(NOW - timedelta(hours=2))))
        azattyk = mirrors / "azattyk" / "a" / "32981204.html"
        azattyk.write_text(
            azattyk.read_text(encoding="utf-8").replace(
                f'pg-title">{OLD_TITLE}', f'pg-title">{NEW_TITLE}'
            ),
            encoding="utf-8",
        )
        bbc = mirrors / "bbc" / BBC_PAGE
        bbc.write_text(
            bbc.read_text(encoding="utf-8").replace("андан да татаал", "андан да оор"),
            encoding="utf-8",
        )
        (mirrors / "kloop" / KLOOP_PAGE).unlink()
        everything = [*sources, *user_sources(site / "sources.toml.in", by_key["site"].origin)]
        pytest_twisted.blockon(
            crawl(everything, url, FixedClock(NOW - timedelta(hours=1)), {"KGNEWS_RECHECK": "all"})
        )
        origins = {origin: server.origin for server in servers for origin in server.mirror.origins}
        engine = make_engine(resolve_url(url))
        yield Built(engine, origins)
        engine.dispose()


def run(built: Built, name: str) -> list[dict[str, Any]]:
    dialect = built.engine.dialect.name
    (query,) = [q for q in documented() if q.name == name and q.dialect in (None, dialect)]
    sql = query.sql
    for real, mirror in built.origins.items():
        sql = sql.replace(real, mirror)
    with built.engine.connect() as connection:
        if dialect == "postgresql":
            connection.execute(text("SET TIME ZONE 'UTC'"))
        return [dict(row._mapping) for row in connection.execute(text(sql))]


def on_mirror(built: Built, url: str) -> str:
    for real, mirror in built.origins.items():
        if url.startswith(real):
            return mirror + url[len(real) :]
    return url


def versions(built: Built) -> list[tuple[str, str, ArticleVersion, Article]]:
    with Session(built.engine) as session:
        rows = session.execute(
            select(Source.key, Article.url, ArticleVersion, Article)
            .join(Article, Article.source_id == Source.id)
            .join(ArticleVersion, ArticleVersion.article_id == Article.id)
            .order_by(Article.id, ArticleVersion.version)
        ).all()
        session.expunge_all()
    return [(key, url, version, article) for key, url, version, article in rows]


def current(built: Built) -> list[tuple[str, str, ArticleVersion, Article]]:
    return [row for row in versions(built) if row[3].current_version_id == row[2].id]


def day(moment: Any) -> str:
    return (
        str(moment)[:10] if isinstance(moment, str) else moment.astimezone(UTC).strftime("%Y-%m-%d")
    )


def test_articles_per_day(built: Built) -> None:
    expected = collections.Counter(
        (key, day(a.published_at)) for key, _u, _v, a in current(built) if a.published_at
    )
    got = {(r["source"], r["day"]): r["articles"] for r in run(built, "articles_per_day")}
    assert got == dict(expected)


def test_current_text_and_all_versions(built: Built) -> None:
    (row,) = run(built, "current_text")
    assert row["title"] == NEW_TITLE and row["version"] == 2
    history = run(built, "all_versions")
    assert [(r["version"], r["title"]) for r in history] == [(1, OLD_TITLE), (2, NEW_TITLE)]
    assert history[0]["chars_added"] > 0 and history[1]["chars_removed"] > 0


def test_edited_late_and_title_changes(built: Built) -> None:
    azattyk = on_mirror(built, AZATTYK)
    bbc = on_mirror(built, "https://www.bbc.com/" + BBC_PAGE.as_posix().removesuffix(".html"))
    assert {r["url"] for r in run(built, "edited_late")} == {azattyk, bbc}  # published in 2024
    changes = run(built, "title_changes")
    assert [(r["url"], r["previous_title"], r["title"]) for r in changes] == [
        (azattyk, OLD_TITLE, NEW_TITLE)
    ]


def test_most_edited_this_week(built: Built) -> None:
    edited = {url for _k, url, version, _a in versions(built) if version.version > 1}
    rows = run(built, "most_edited_this_week")
    assert {r["url"] for r in rows} == edited and all(r["edits"] == 1 for r in rows)


def test_new_since_last_run(built: Built) -> None:
    with Session(built.engine) as session:
        last_start = max(session.scalars(select(CrawlRun.started_at)))
        expected = {
            a.url for a in session.scalars(select(Article)) if a.first_seen_at >= last_start
        }
    got = {r["url"] for r in run(built, "new_since_last_run")}
    assert got == expected and len(got) == 3  # the new site's articles


def test_fetch_errors(built: Built) -> None:
    rows = run(built, "fetch_errors")
    assert [(r["source"], r["errors"]) for r in rows] == [("kloop", 1)]
    assert "HTTP 404" in rows[0]["last_reason"]


def test_words_per_month(built: Built) -> None:
    expected: dict[str, int] = collections.Counter()
    for _k, _u, version, _a in versions(built):
        expected[version.fetched_at.strftime("%Y-%m")] += version.word_count
    assert {r["month"]: r["words"] for r in run(built, "words_per_month")} == dict(expected)


def test_latest_per_source(built: Built) -> None:
    by_source: dict[str, list[tuple[Any, str]]] = collections.defaultdict(list)
    for key, url, _v, article in current(built):
        if article.published_at:
            by_source[key].append((article.published_at, url))
    expected = {
        (key, url)
        for key, items in by_source.items()
        for _p, url in sorted(items, reverse=True)[:3]
    }
    assert {(r["source"], r["url"]) for r in run(built, "latest_per_source")} == expected


def test_recent_runs(built: Built) -> None:
    rows = run(built, "recent_runs")
    mirrored = sum(len(expectations(d)["articles"]) for d in MIRRORS.iterdir() if d.is_dir())
    assert [(r["status"], r["new_count"], r["changed_count"], r["error_count"]) for r in rows] == [
        ("finished", 3, 2, 1),
        ("finished", mirrored, 0, 0),  # the first run: every mirror's articles
    ]
    assert all(r["seconds"] is not None and r["seconds"] >= 0 for r in rows)


def test_top_authors(built: Built) -> None:
    expected = collections.Counter(
        author for _k, _u, version, _a in current(built) for author in version.authors
    )
    rows = run(built, "top_authors")
    assert {r["author"]: r["articles"] for r in rows} == dict(expected.most_common(20)) or len(
        expected
    ) > 20
    assert rows[0]["articles"] == max(expected.values())


def test_revisits_answered_304(built: Built) -> None:
    with Session(built.engine) as session:
        outcomes = session.execute(
            select(Source.key, Fetch.outcome).join(Source, Source.id == Fetch.source_id)
        ).all()
    revisits = collections.Counter(
        key for key, o in outcomes if o in ("not_modified", "unchanged", "changed")
    )
    answered = collections.Counter(key for key, o in outcomes if o == "not_modified")
    rows = {
        r["source"]: (r["not_modified"], r["revisits"]) for r in run(built, "revisits_answered_304")
    }
    assert rows == {key: (answered[key], revisits[key]) for key in revisits}
    assert rows["azattyk"] == (3, 4)  # one of four changed; the mirror answers 304 for the rest


def test_words_per_language(built: Built) -> None:
    expected: dict[str, int] = collections.Counter()
    for _k, _u, version, _a in current(built):
        expected[version.language or "?"] += version.word_count
    assert {r["language"]: r["words"] for r in run(built, "words_per_language")} == dict(expected)


def test_source_date_window(built: Built) -> None:
    with Session(built.engine) as session:
        expected = [
            url for url, published in session.execute(
                select(Article.url, Article.published_at).join(Source).where(Source.key == "azattyk").order_by(Article.published_at)
            )
            if published and datetime(2024, 6, 1, tzinfo=UTC) <= published < datetime(2024, 7, 1, tzinfo=UTC)
        ]  # fmt: skip
    assert [r["url"] for r in run(built, "source_date_index")] == expected and expected


def test_the_source_date_query_uses_its_index(built: Built) -> None:
    (query,) = [q for q in documented() if q.name == "source_date_index"]
    with built.engine.connect() as connection:
        if built.engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1]) for row in connection.execute(text("EXPLAIN QUERY PLAN " + query.sql))
            )
        else:
            # A few dozen rows make a sequential scan cheapest; the question is whether the
            # index serves the query at all.
            connection.execute(text("SET enable_seqscan = off"))
            plan = " ".join(str(row[0]) for row in connection.execute(text("EXPLAIN " + query.sql)))
    assert "ix_articles_source_id_published_at" in plan, plan
