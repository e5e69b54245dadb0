"""`kgnews verify` on a real crawled archive, on both backends: a sound archive passes, and
each kind of damage is reported in one line naming the rows, with exit status 1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_twisted
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from crawler.store.models import Article, ArticleVersion, CrawlRun, Fetch
from tests.crawl.harness import MIRRORS, FixedClock, crawl, serving, shipped
from tests.helpers import run_kgnews

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def crawled(archive: Engine, db_url: str, tmp_path: Path) -> tuple[Engine, str, Path]:
    """Two mirrors crawled into the archive, raw pages kept in tmp_path/warc."""
    warc = tmp_path / "warc"

    @pytest_twisted.inlineCallbacks
    def run():  # type: ignore[no-untyped-def]
        with serving(MIRRORS / "azattyk", MIRRORS / "super") as servers:
            sources = [
                shipped(key, s) for key, s in zip(("azattyk", "super"), servers, strict=True)
            ]
            yield crawl(sources, db_url, FixedClock(NOW), {"KGNEWS_WARC_DIR": str(warc)})

    pytest_twisted.blockon(run())
    return archive, db_url, warc


def verify(db_url: str, warc: Path, *extra: str) -> tuple[int, list[str]]:
    result = run_kgnews("verify", "--db", db_url, "--warc", "--warc-dir", str(warc), *extra)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout.splitlines() + result.stderr.splitlines()


def test_a_sound_archive_passes(crawled: tuple[Engine, str, Path]) -> None:
    engine, db_url, warc = crawled
    result = run_kgnews("verify", "--db", db_url, "--warc", "--warc-dir", str(warc))
    assert result.returncode == 0, result.stdout + result.stderr
    with Session(engine) as session:
        articles = len(session.scalars(select(Article.id)).all())
        fetches = len(session.scalars(select(Fetch.id)).all())
    assert (
        f"verified {articles} articles, {articles} versions, {fetches} fetches, "
        f"{fetches} WARC records, {articles} re-extractions: no problems"
    ) in result.stdout


def test_broken_rows_are_each_named(crawled: tuple[Engine, str, Path]) -> None:
    engine, db_url, warc = crawled
    with Session(engine) as session, session.begin():
        first, second, third, fourth = session.scalars(
            select(Article.id).order_by(Article.id)
        ).all()[:4]
        old = session.scalars(
            select(ArticleVersion).where(ArticleVersion.article_id == fourth)
        ).one()
        session.add(  # a version 2 written, but the article not moved to it
            ArticleVersion(
                article_id=fourth, version=2, fetched_at=NOW, content_hash="1" * 64,
                title=old.title, body=old.body, authors=[], tags=[], word_count=old.word_count,
                extractor=old.extractor, chars_added=0, chars_removed=0, title_changed=False,
            )
        )  # fmt: skip
        session.execute(update(Article).where(Article.id == first).values(current_version_id=None))
        session.execute(
            update(ArticleVersion).where(ArticleVersion.article_id == second).values(version=2)
        )
        session.execute(
            update(Fetch)
            .where(Fetch.article_id == third, Fetch.outcome == "new")
            .values(article_id=None)
        )
        run = session.scalars(select(CrawlRun.id)).one()
        session.execute(update(CrawlRun).values(status="running"))
        # (its fetch row now names no article: as if the version had been written alone)
        unfetched = session.scalars(
            select(ArticleVersion.id).where(ArticleVersion.article_id == third)
        ).one()
    code, lines = verify(db_url, warc)
    assert code == 1
    fetch = next(line for line in lines if "points at no article" in line)
    assert f"article {first}: no current version (its latest is version 1)" in lines
    assert (
        f"article {second}: versions are not 1..2 without gaps (1 versions, the lowest 2)" in lines
    )
    assert f"article {fourth}: its current version is 1, its latest 2" in lines
    assert fetch.startswith("fetch ") and fetch.endswith("outcome new but it points at no article")
    assert any(line.startswith(f"run {run}: still 'running' but holds no lock") for line in lines)
    assert (
        f"version {unfetched}: version 1 of article {third} has no fetch at its time: it was "
        "written without the fetch that brought it"
    ) in lines
    # The version that lost its fetch row has no raw page to check: counted, not a problem.
    assert "(1 versions have no raw page kept)" in lines[-1] if lines else False


def test_a_wrong_digest_a_changed_text_and_a_damaged_file_are_found(
    crawled: tuple[Engine, str, Path],
) -> None:
    engine, db_url, warc = crawled
    with Session(engine) as session, session.begin():
        fetch, digest = session.execute(
            select(Fetch.id, Fetch.payload_digest).order_by(Fetch.id).limit(1)
        ).one()
        session.execute(
            update(Fetch).where(Fetch.id == fetch).values(payload_digest="sha1:" + "A" * 32)
        )
        version, article = session.execute(
            select(ArticleVersion.version, ArticleVersion.article_id)
            .order_by(ArticleVersion.id.desc())
            .limit(1)
        ).one()
        session.execute(
            update(ArticleVersion)
            .where(ArticleVersion.article_id == article)
            .values(content_hash="0" * 64)
        )
    code, lines = verify(db_url, warc)
    assert code == 1
    assert any(
        line.startswith(f"fetch {fetch}: the payload at ") and f"hashes to {digest}" in line
        for line in lines
    ), lines
    assert any(  # drift: reported, though not a broken promise (reextract mends it)
        line.startswith(f"drift: article {article} version {version}: extracted again from ")
        and line.endswith("its text differs from the stored one")
        for line in lines
    ), lines

    for path in warc.glob("*.warc.gz"):  # the disk lost the end of every file
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    code, lines = verify(db_url, warc)
    assert code == 1
    assert any("its WARC record cannot be read" in line for line in lines), lines


def test_one_source_and_a_bad_source_name(crawled: tuple[Engine, str, Path]) -> None:
    _, db_url, warc = crawled
    code, lines = verify(db_url, warc, "--source", "super")
    assert code == 0 and lines[-1].startswith("verified ")
    result = run_kgnews("verify", "--db", db_url, "--source", "nope")
    assert result.returncode == 2
    assert "source 'nope' is not in the archive" in result.stderr


def test_text_read_otherwise_today_is_drift_not_a_broken_archive(
    crawled: tuple[Engine, str, Path],
) -> None:
    engine, db_url, warc = crawled
    with Session(engine) as session, session.begin():
        article = session.scalars(select(Article.id).order_by(Article.id)).first()
        session.execute(
            update(ArticleVersion)
            .where(ArticleVersion.article_id == article)
            .values(content_hash="0" * 64)
        )
    code, lines = verify(db_url, warc)
    assert code == 0, lines
    assert lines[-1].endswith(
        "no problems; 1 pages read otherwise today (kgnews reextract updates them)"
    )
