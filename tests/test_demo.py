"""`kgnews demo`: the bundled mirrors crawled three times, with the sites' edits between,
into a local SQLite file under the sites' own URLs; no network."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import tomllib
from pathlib import Path

import pytest

from crawler.store.documented import documented_queries
from tests.helpers import KGNEWS, assert_user_error, run_kgnews

MIRRORS = Path(__file__).resolve().parent / "fixtures" / "mirrors"
QUERIES = Path(__file__).resolve().parent.parent / "docs" / "queries.sql"
ARTICLE_ROWS = (
    "SELECT a.url, v.version, v.content_hash FROM articles a"
    " JOIN article_versions v ON v.article_id = a.id ORDER BY a.url, v.version"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[tuple[str, int, str]]]:
    """The demo run twice in a row in one folder: its archive, the second run's output,
    and the first run's articles and versions."""
    folder = tmp_path_factory.mktemp("demo")
    first = run_kgnews("demo", cwd=folder)
    assert first.returncode == 0, first.stdout + first.stderr
    db = folder / "kgnews-demo.sqlite3"
    with sqlite3.connect(db) as connection:
        rows = connection.execute(ARTICLE_ROWS).fetchall()
    connection.close()
    second = run_kgnews("demo", cwd=folder)
    assert second.returncode == 0, second.stdout + second.stderr
    return db, second.stdout, rows


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(sql).fetchall()
    connection.close()
    return rows


def test_every_mirror_is_archived_under_the_sites_own_urls(demo: tuple[Path, str, list]) -> None:
    db, out, _ = demo
    expected = {
        directory.name: {
            article["url"]
            for article in tomllib.loads((directory / "mirror.toml").read_text("utf-8"))["articles"]
        }
        for directory in MIRRORS.iterdir()
        if (directory / "mirror.toml").is_file()
    }
    archived: dict[str, set[str]] = {}
    for key, url in query(
        db, "SELECT s.key, a.url FROM articles a JOIN sources s ON s.id = a.source_id"
    ):
        archived.setdefault(str(key), set()).add(str(url))
    assert archived == expected  # the canonical URLs, not the mirrors' 127.0.0.1 addresses
    total = sum(len(urls) for urls in expected.values())
    assert f"Archived {total} articles from {len(expected)} sources" in out
    assert any((db.parent / "kgnews-demo-warc").glob("*.warc.gz"))
    verified = run_kgnews("verify", "--warc", "--db", str(db))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_running_it_again_leaves_the_same_archive(demo: tuple[Path, str, list]) -> None:
    db, _, first_rows = demo
    assert query(db, ARTICLE_ROWS) == first_rows
    assert [p.name for p in db.parent.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_history_and_diff_show_the_sites_edits(demo: tuple[Path, str, list]) -> None:
    db, out, _ = demo
    edited = query(
        db, "SELECT a.url, count(*) FROM articles a JOIN article_versions v ON v.article_id = a.id"
        " GROUP BY a.url HAVING count(*) > 1 ORDER BY a.url",
    )  # fmt: skip
    assert len(edited) >= 3
    suggested = [
        line.split()[2] for line in out.splitlines() if line.strip().startswith("kgnews history")
    ]
    assert sorted(suggested) == [url for url, _ in edited]
    by_url = dict(edited)
    back = "https://24.kg/kyrgyzcha/317402_oshto_janyi_avtobeket_kurulat/"
    assert by_url[back] == 3
    history = run_kgnews("history", back, "--db", str(db))
    assert "restores version 1" in history.stdout, history.stdout
    figure = run_kgnews(
        "diff", "https://ky.kloop.asia/2024/04/18/narynda-zhashtar-uchun-kovorking-borboru-achyldy/",
        "--db", str(db), "--no-color",
    )  # fmt: skip
    assert "[-40-] {+60+}" in figure.stdout, figure.stdout
    title = run_kgnews(
        "diff", "https://ky.kloop.asia/2024/04/16/ysyk-kol-pliazhdaryndagy-suu-tekserildi/",
        "--db", str(db), "--no-color",
    )  # fmt: skip
    assert title.stdout.splitlines()[1].startswith("title: "), title.stdout


def test_every_documented_query_returns_rows(demo: tuple[Path, str, list]) -> None:
    db, _, _ = demo
    empty = [
        named.name
        for named in documented_queries(QUERIES)
        if named.dialect != "postgresql" and not query(db, named.sql)
    ]
    assert empty == []


def test_diff_of_a_one_version_article_says_so(demo: tuple[Path, str, list]) -> None:
    db, _, _ = demo
    (url,) = query(db, "SELECT url FROM articles WHERE url LIKE '%32981204%'")[0]
    assert_user_error(run_kgnews("diff", str(url), "--db", str(db)), "one version only")


def test_it_replaces_only_an_archive_it_made(tmp_path: Path) -> None:
    mine = tmp_path / "news.sqlite3"
    mine.write_bytes(b"my own notes")
    assert_user_error(run_kgnews("demo", "--db", str(mine)), "not a demo archive")
    assert mine.read_bytes() == b"my own notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.sqlite3"]
    # Nor the WARC folder of an archive that is not there (moved away, say).
    pages = tmp_path / "moved-warc"
    pages.mkdir()
    (pages / "kgnews-run1.warc.gz").write_bytes(b"raw pages")
    result = run_kgnews("demo", "--db", str(tmp_path / "moved.sqlite3"))
    assert_user_error(result, "moved-warc exists with no demo archive beside it")
    assert (pages / "kgnews-run1.warc.gz").read_bytes() == b"raw pages"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moved-warc", "news.sqlite3"]


def test_a_demo_stopped_half_way_leaves_the_earlier_one_as_it_was(
    demo: tuple[Path, str, list],
) -> None:
    db, _, rows = demo
    before = db.read_bytes()
    process = subprocess.Popen(
        [*KGNEWS, "demo"], cwd=db.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:  # the second crawl is starting: the sites were edited
        if line.startswith("crawl 2"):
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    assert "crawl 3" not in out  # stopped: no further crawl is started
    assert "the demo was stopped; an earlier demo archive is left as it was" in err
    assert db.read_bytes() == before and query(db, ARTICLE_ROWS) == rows
    assert sorted(p.name for p in db.parent.iterdir()) == ["kgnews-demo-warc", db.name]
