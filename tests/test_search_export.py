"""`kgnews search` and `kgnews export` on a crawled archive, SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import pytest_twisted
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.extract.article import Article
from crawler.store.engine import make_engine, resolve_url
from crawler.store.models import ArticleVersion, Base
from crawler.store.search import search
from crawler.store.versioning import FetchInfo, ensure_source, store_article
from tests.crawl.harness import FIXTURES, FixedClock, crawl, serving, user_sources
from tests.helpers import assert_user_error, run_kgnews

SITE = FIXTURES / "user-site"
T1 = datetime(2024, 6, 3, 16, 0, tzinfo=UTC)
PHRASE = "туристтик маалымат борбору"  # from the Ysyk-Köl article, inside a carousel slide


@pytest.fixture
def crawled(archive: Engine, db_url: str, tmp_path: Path) -> Engine:
    """The user site crawled, then its Osh article edited and crawled again."""
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    with serving(site) as (server,):
        sources = user_sources(site / "sources.toml.in", server.origin)
        pytest_twisted.blockon(crawl(sources, db_url, FixedClock(T1)))
        page = site / "kg" / "news" / "103.html"
        page.write_text(
            page.read_text(encoding="utf-8").replace("50 сомго", "70 сомго"), encoding="utf-8"
        )
        pytest_twisted.blockon(
            crawl(sources, db_url, FixedClock(T1 + timedelta(hours=2)), {"KGNEWS_RECHECK": "all"})
        )
    return archive


def test_a_phrase_is_found_also_typed_with_lookalikes_and_in_capitals(crawled: Engine) -> None:
    for typed in (
        f'"{PHRASE}"',
        PHRASE.upper(),
        '"туристтик мaaлымaт борбору"',
        "туристтик мaалымат",
    ):
        hits = search(crawled, typed)
        assert [hit.url.rsplit("/", 1)[-1] for hit in hits] == ["102"], typed
        assert "[" in hits[0].snippet  # the match is marked
    assert search(crawled, '"борбору туристтик"') == []  # a phrase keeps its order


def test_search_filters_and_versions(crawled: Engine) -> None:
    # "шаарында" is in 101 (Нарын шаарында, 20 May) and 102 (Каракол шаарында, 1 June)
    assert {h.url.rsplit("/", 1)[-1] for h in search(crawled, "шаарында")} == {"101", "102"}
    assert search(crawled, "шаарында", source="nope") == []
    assert [
        h.url.rsplit("/", 1)[-1]
        for h in search(crawled, "шаарында", since=datetime(2024, 5, 25, tzinfo=UTC))
    ] == ["102"]
    assert search(crawled, '"50 сомго"') == []  # the old text is not current any more
    old = search(crawled, '"50 сомго"', all_versions=True)
    assert [(h.version, h.current) for h in old] == [(1, False)]


@pytest.mark.parametrize(
    "query", ['"', "NEAR(a b)", "оорукана AND (", "*", "a:b -c ^d", "'; DROP TABLE articles; --"]
)
def test_search_syntax_never_reaches_the_database(crawled: Engine, query: str) -> None:
    from crawler.errors import UserError

    try:
        assert isinstance(search(crawled, query), list)
    except UserError as exc:
        assert "nothing to search for" in str(exc)


def test_search_command(crawled: Engine, db_url: str) -> None:
    result = run_kgnews("search", PHRASE.upper(), "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert "1. [example] Ысык-Көлдө туристтик сезон башталды" in result.stdout
    assert (
        "[туристтик] [маалымат] [борбору]" in result.stdout
        or "[туристтик маалымат борбору]" in result.stdout
    )
    assert_user_error(run_kgnews("search", "?!…", "--db", db_url), "nothing to search for")
    assert "no articles match" in run_kgnews("search", "жокжок", "--db", db_url).stdout
    for command in (["search", "шаар"], ["export"]):  # a mistyped --source, as in `crawl`
        wrong = run_kgnews(*command, "--source", "exampel", "--db", db_url)
        assert_user_error(wrong, "unknown source 'exampel'", "the archive holds example")


def test_search_is_kept_in_step_inside_the_writing_transaction(archive: Engine) -> None:
    source = ensure_source(archive, "s", "S", "https://s.kg/", "ky")
    article = Article(
        url="https://s.kg/1",
        title="Нарында кар",
        paragraphs=("Нарында катуу кар жаады.",),
        extractor="t",
    )
    with pytest.raises(IntegrityError):  # a run that does not exist: the transaction fails
        store_article(archive, article, FetchInfo("https://s.kg/1", source, T1, crawl_run_id=999))
    assert search(archive, "катуу кар") == []
    store_article(archive, article, FetchInfo("https://s.kg/1", source, T1))
    assert len(search(archive, "катуу кар")) == 1


def export(db_url: str, tmp_path: Path, fmt: str, *extra: str) -> Path:
    target = tmp_path / f"out.{fmt}"
    result = run_kgnews("export", "--format", fmt, "-o", str(target), "--db", db_url, *extra)
    assert result.returncode == 0, result.stderr
    return target


def test_export_jsonl_one_line_per_current_version_and_csv_and_parquet_match(
    crawled: Engine, db_url: str, tmp_path: Path
) -> None:
    lines = [
        json.loads(line)
        for line in export(db_url, tmp_path, "jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(lines) == 3 and all(line["is_current"] for line in lines)
    assert [line["version"] for line in lines] == [1, 1, 2]
    assert lines[2]["body"].count("\n") == 2 and "70 сомго" in lines[2]["body"]

    with export(db_url, tmp_path, "csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = pq.read_table(export(db_url, tmp_path, "parquet")).to_pylist()
    assert len(rows) == len(table) == len(lines)
    for line, row, record in zip(lines, rows, table, strict=True):
        assert row["body"] == record["body"] == line["body"]
        assert json.loads(row["authors"]) == record["authors"] == line["authors"]
        assert row["published_at"] == record["published_at"].isoformat() == line["published_at"]
        assert int(row["word_count"]) == record["word_count"] == line["word_count"]
        assert row["url"] == record["url"] == line["url"]

    everything = (
        export(db_url, tmp_path, "jsonl", "--all-versions").read_text(encoding="utf-8").splitlines()
    )
    assert len(everything) == 4
    assert len(export(db_url, tmp_path, "jsonl", "--language", "ru").read_text().splitlines()) == 0
    # 102 was published on 1 June (08:30 in Bishkek), 103 on 3 June, 101 on 20 May
    assert (
        len(export(db_url, tmp_path, "jsonl", "--since", "2024-06-01").read_text().splitlines())
        == 2
    )


def test_export_to_stdout(crawled: Engine, db_url: str) -> None:
    result = run_kgnews("export", "--db", db_url)
    assert len(result.stdout.splitlines()) == 3


def test_an_export_that_cannot_be_written_leaves_nothing(
    crawled: Engine, db_url: str, tmp_path: Path
) -> None:
    before = set(tmp_path.iterdir())
    assert_user_error(
        run_kgnews("export", "-o", str(tmp_path / "no" / "x.jsonl"), "--db", db_url),
        "does not exist",
    )
    blocker = tmp_path / "taken"
    blocker.mkdir()  # the target is a directory: the final rename fails
    assert_user_error(
        run_kgnews("export", "--format", "csv", "-o", str(blocker), "--db", db_url), "cannot write"
    )
    assert set(tmp_path.iterdir()) - before == {blocker} and list(blocker.iterdir()) == []
    assert_user_error(
        run_kgnews("export", "--format", "parquet", "--db", db_url), "Parquet needs a file"
    )


def test_versions_keep_their_change_size(crawled: Engine) -> None:
    with Session(crawled) as session:
        second = session.scalars(select(ArticleVersion).where(ArticleVersion.version == 2)).one()
        assert (second.chars_added, second.chars_removed) == (len("70"), len("50"))
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 4


def test_the_whole_archive_copied_into_sqlite_reads_the_same(
    crawled: Engine, db_url: str, tmp_path: Path
) -> None:
    copy = tmp_path / "copy" / "archive.sqlite3"
    result = run_kgnews("export", "--format", "sqlite", "-o", str(copy), "--db", db_url)
    assert result.returncode == 0, result.stderr
    copied = make_engine(resolve_url(f"sqlite:///{copy}"))
    try:
        for table in Base.metadata.sorted_tables:
            ordered = select(table).order_by(*table.primary_key.columns)
            with crawled.connect() as a, copied.connect() as b:
                assert a.execute(ordered).all() == b.execute(ordered).all(), table.name
        for query in ("шаарында", '"50 сомго"', PHRASE):
            for every in (False, True):
                found = {(h.url, h.version) for h in search(copied, query, all_versions=every)}
                assert found or not every, query  # (ranks and snippets: each backend its own)
                assert found == {
                    (h.url, h.version) for h in search(crawled, query, all_versions=every)
                }, query
    finally:
        copied.dispose()
    verified = run_kgnews("verify", "--db", str(copy))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    before = copy.read_bytes()
    again = run_kgnews("export", "--format", "sqlite", "-o", str(copy), "--db", db_url)
    assert_user_error(again, "exists", "nothing is overwritten")
    assert copy.read_bytes() == before
    filtered = run_kgnews("export", "--format", "sqlite", "-o", str(tmp_path / "x.sqlite3"),
                          "--source", "example", "--db", db_url)  # fmt: skip
    assert_user_error(filtered, "copies the whole archive", "--source")
    assert sorted(p.name for p in copy.parent.iterdir()) == ["archive.sqlite3"]


def test_the_copy_is_one_moment_of_an_archive_being_written(
    archive: Engine, tmp_path: Path
) -> None:
    """A crawl storing an article while the copy runs: the copy holds all of it or none."""
    from crawler.store.copy import copy_archive

    source = ensure_source(archive, "s", "S", "https://s.kg/", "ky")
    first = Article(url="https://s.kg/1", title="Биринчи", paragraphs=("Бир.",), extractor="t")
    store_article(archive, first, FetchInfo(first.url, source, T1))

    def meanwhile(table: str, _rows: int) -> None:
        if table == "article_versions":  # the articles are copied already
            later = Article(
                url="https://s.kg/2", title="Экинчи", paragraphs=("Эки.",), extractor="t"
            )
            store_article(archive, later, FetchInfo(later.url, source, T1))

    counts = copy_archive(archive, tmp_path / "copy.sqlite3", meanwhile)
    assert (counts["articles"], counts["article_versions"], counts["fetches"]) == (1, 1, 1)
    with archive.connect() as connection:  # the archive itself has both
        assert connection.execute(select(func.count()).select_from(ArticleVersion)).scalar() == 2


def test_a_file_made_at_the_target_while_copying_is_kept(archive: Engine, tmp_path: Path) -> None:
    from crawler.errors import UserError
    from crawler.store.copy import copy_archive

    target = tmp_path / "copy.sqlite3"

    def meanwhile(table: str, _rows: int) -> None:
        if table == "fetches":
            target.write_bytes(b"someone else's")

    with pytest.raises(UserError, match="appeared while copying"):
        copy_archive(archive, target, meanwhile)
    assert target.read_bytes() == b"someone else's"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".kgnews-copy")]
