"""Raw pages kept in WARC files: every fetch points to a record warcio reads back, the
records extract to what was stored, re-extraction needs no network, the CDXJ index
lists every response, and broken files or a full disk lose nothing."""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_twisted
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.content import decode_body
from crawler.extract.pipeline import extract_article
from crawler.store.models import Article, ArticleVersion, CrawlRun, Fetch
from tests.crawl.harness import (
    FIXTURES,
    FixedClock,
    crawl,
    serving,
    user_sources,
    user_sources_file,
)
from tests.helpers import run_kgnews

SITE = FIXTURES / "user-site"
T1 = datetime(2024, 6, 3, 16, 0, tzinfo=UTC)
SECOND_PARAGRAPH_OF_101 = "Курулушка республикалык бюджеттен 85 миллион сом бөлүнгөн, деп билдирди шаардык билим берүү бөлүмү."


def site_copy(tmp_path: Path, **options: bool) -> Path:
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    config = site / "mirror.toml"
    flags = "".join(f"{name} = {str(value).lower()}\n" for name, value in options.items())
    config.write_text(flags + config.read_text(encoding="utf-8"), encoding="utf-8")
    return site


def records(directory: Path) -> list[tuple[str, str, int, object]]:
    """(file, type, offset, record) of every record, in file order."""
    found = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            iterator = ArchiveIterator(handle)
            for record in iterator:
                found.append(
                    (path.name, record.rec_type, iterator.get_record_offset(), record.rec_headers)
                )
    return found


@pytest_twisted.inlineCallbacks
def test_every_fetch_points_to_a_record_that_extracts_to_the_stored_version(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = site_copy(tmp_path, gzip=True)
    warc_dir = tmp_path / "warc"
    with serving(site) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1), {"KGNEWS_WARC_DIR": str(warc_dir)})
        requested = {f"{server.origin}{path}" for _m, path, _h in server.requests}

    with Session(archive) as session:
        fetches = session.scalars(select(Fetch)).all()
        # keyed by article: a fetch keeps the URL it asked for (the feed's ?utm_ link
        # may win the race with the listing's), the article its canonical URL
        current = {a.id: a.current_version for a in session.scalars(select(Article))}
        assert len(fetches) == 3
        for fetch in fetches:
            assert fetch.warc_file and fetch.warc_offset is not None
            with (warc_dir / fetch.warc_file).open("rb") as handle:
                handle.seek(fetch.warc_offset)
                record = next(iter(ArchiveIterator(handle)))
                assert record.rec_type == "response"
                assert record.rec_headers.get_header("WARC-Record-ID") == fetch.warc_record_id
                assert (
                    record.http_headers.get_header("Content-Encoding") == "gzip"
                )  # as the site sent it
                raw = record.raw_stream.read()
            assert gzip.decompress(raw).startswith(b"<!DOCTYPE html>")
            body = decode_body(raw, "gzip", 10_000_000)
            article = extract_article(body, fetch.url)
            assert fetch.article_id is not None
            version = current[fetch.article_id]
            assert version is not None and "\n".join(article.paragraphs) == version.body
            assert article.title == version.title
    # every response fetched is kept: robots.txt, the feed, the listings, the articles
    kept = {
        headers.get_header("WARC-Target-URI")
        for _f, kind, _o, headers in records(warc_dir)
        if kind == "response"
    }
    assert kept == requested
    # each file opens with its warcinfo; each response has its request beside it
    kinds = [kind for _f, kind, _o, _h in records(warc_dir)]
    assert kinds[0] == "warcinfo" and kinds.count("request") == kinds.count("response")


@pytest_twisted.inlineCallbacks
def test_reextract_makes_versions_exactly_where_the_text_changed(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    site = site_copy(tmp_path, conditional=False)
    warc_dir = tmp_path / "warc"
    with serving(site) as (server,):
        mine = user_sources_file(tmp_path, server.origin)
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        settings = {"KGNEWS_WARC_DIR": str(warc_dir)}
        yield crawl(sources, db_url, FixedClock(T1), settings)
        # The site ignores conditional requests: the same bytes again are revisit records.
        yield crawl(
            sources,
            db_url,
            FixedClock(T1 + timedelta(hours=1)),
            {**settings, "KGNEWS_RECHECK": "all"},
        )
        origin = server.origin
        url_101 = f"{origin}/kg/news/101"

    kinds = [kind for _f, kind, _o, _h in records(warc_dir)]
    assert kinds.count("revisit") >= 3
    right_away = run_kgnews(
        "reextract", "--sources", str(mine), "--warc-dir", str(warc_dir), "--db", db_url
    )
    assert right_away.returncode == 0, right_away.stderr
    assert "3 pages re-read: 0 new versions, 3 unchanged" in right_away.stdout

    # Today's rules drop one paragraph of article 101: only 101's text changes.
    changed = user_sources_file(
        tmp_path, origin, f'drop_paragraphs = ["{SECOND_PARAGRAPH_OF_101}"]\n'
    )
    after = run_kgnews(
        "reextract", "--sources", str(changed), "--warc-dir", str(warc_dir), "--db", db_url
    )
    assert after.returncode == 0, after.stderr
    assert "3 pages re-read: 1 new versions, 2 unchanged" in after.stdout
    with Session(archive) as session:
        versions = session.execute(
            select(Article.url, func.count(ArticleVersion.id))
            .join(ArticleVersion, ArticleVersion.article_id == Article.id).group_by(Article.url)
        ).all()  # fmt: skip
        assert dict(versions) == {
            url_101: 2,
            url_101.removesuffix("/101") + "/102": 1,  # (the port may hold "101" too)
            url_101.removesuffix("/101") + "/103": 1,
        }
        newest = session.scalars(select(ArticleVersion).where(ArticleVersion.version == 2)).one()
        assert SECOND_PARAGRAPH_OF_101 not in newest.body and newest.extractor.startswith("kgnews-")
        assert newest.fetched_at == T1 + timedelta(
            hours=1
        )  # when the page was fetched, not re-read


@pytest_twisted.inlineCallbacks
def test_reextract_in_workers_reports_a_page_whose_worker_died_and_does_the_rest(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    warc_dir = tmp_path / "warc"
    # Today's rules change article 101; the worker that takes 102 is killed on it.
    drop = f'drop_paragraphs = ["{SECOND_PARAGRAPH_OF_101}"]\n'
    with serving(site_copy(tmp_path)) as (server,):
        mine = user_sources_file(tmp_path, server.origin, drop)
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1), {"KGNEWS_WARC_DIR": str(warc_dir)})
    with Session(archive) as session:
        place = session.execute(
            select(Fetch.warc_file, Fetch.warc_offset).where(Fetch.url.endswith("/102"))
        ).one()

    result = run_kgnews(
        "reextract", "--sources", str(mine), "--warc-dir", str(warc_dir), "--db", db_url,
        "--workers", "2", env={"KGNEWS_FAULT_POINT": "extracting:1:/kg/news/102"},
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        f"kgnews: {warc_dir / place.warc_file} at offset {place.warc_offset}: not extracted: "
        "extraction worker died while working on it (killed by SIGKILL)"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert "3 pages re-read: 1 new versions, 1 unchanged, 1 unreadable" in result.stdout


@pytest.mark.parametrize("workers", ["0", "2"])  # read in this process, or in workers
@pytest.mark.parametrize("damage", ["corrupt", "truncate"])
@pytest_twisted.inlineCallbacks
def test_a_broken_record_is_reported_and_skipped(
    archive: Engine, db_url: str, tmp_path: Path, damage: str, workers: str
) -> None:
    warc_dir = tmp_path / "warc"
    # Today's rules would change article 101: if its record could be read, a version would come.
    drop = 'drop_paragraphs = ["Бала бакчада алты топ, спорт залы жана медициналык кабинет бар."]\n'
    with serving(site_copy(tmp_path)) as (server,):
        mine = user_sources_file(tmp_path, server.origin, drop)
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1), {"KGNEWS_WARC_DIR": str(warc_dir)})
    with Session(archive) as session:
        records_of = dict(session.execute(select(Fetch.url, Fetch.warc_offset)).all())
        target = session.execute(
            select(Fetch.warc_file, Fetch.warc_offset).where(Fetch.url.endswith("/101"))
        ).one()
        before = session.scalar(select(func.count()).select_from(ArticleVersion))
    path = warc_dir / target.warc_file
    data = path.read_bytes()
    if damage == "corrupt":  # zeros in the middle of 101's gzip member
        broken = data[: target.warc_offset + 20] + b"\0" * 40 + data[target.warc_offset + 60 :]
        lost = 1
    else:  # the file stops inside 101's record: it and every later record are gone
        broken = data[: target.warc_offset + 60]
        lost = sum(1 for offset in records_of.values() if offset >= target.warc_offset)
    path.write_bytes(broken)

    result = run_kgnews(
        "reextract", "--sources", str(mine), "--warc-dir", str(warc_dir), "--db", db_url,
        "--workers", workers,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"{path} at offset {target.warc_offset}" in result.stderr and "skipped" in result.stderr
    assert "Traceback" not in result.stderr
    assert (
        f"3 pages re-read: 0 new versions, {3 - lost} unchanged, {lost} unreadable" in result.stdout
    )
    with Session(archive) as session:
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == before


@pytest_twisted.inlineCallbacks
def test_the_cdxj_index_lists_every_response(archive: Engine, db_url: str, tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    with serving(site_copy(tmp_path)) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1), {"KGNEWS_WARC_DIR": str(warc_dir)})
    result = run_kgnews("warc", "index", "--warc-dir", str(warc_dir), "--db", db_url)
    assert result.returncode == 0, result.stderr
    lines = (warc_dir / "index.cdxj").read_text().splitlines()
    indexed = {
        (
            line.split('"filename": "')[1].split('"')[0],
            int(line.split('"offset": "')[1].split('"')[0]),
        )
        for line in lines
    }
    responses = {
        (f, offset) for f, kind, offset, _h in records(warc_dir) if kind in ("response", "revisit")
    }
    assert responses and indexed == responses


@pytest_twisted.inlineCallbacks
def test_a_full_disk_stops_the_crawl_and_nothing_points_at_unwritten_records(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    # The first WARC file this run will open is /dev/full: every write fails with ENOSPC.
    (warc_dir / f"kgnews-run1-{T1:%Y%m%d%H%M%S}-00001.warc.gz").symlink_to("/dev/full")
    with serving(site_copy(tmp_path)) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        result = yield crawl(sources, db_url, FixedClock(T1), {"KGNEWS_WARC_DIR": str(warc_dir)})

    assert result.warc_error is not None and "No space left on device" in result.warc_error
    assert result.exit_code == 1
    with Session(archive) as session:
        assert session.scalars(select(CrawlRun.status)).all() == ["failed"]  # not "finished"
        assert (
            session.scalar(
                select(func.count()).select_from(Fetch).where(Fetch.warc_file.is_not(None))
            )
            == 0
        )
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 0


@pytest_twisted.inlineCallbacks
def test_a_crawl_nodes_records_live_in_its_own_folder_and_the_gathered_folders_index(
    archive: Engine, db_url: str, tmp_path: Path
) -> None:
    """KGNEWS_NODE (docs/scaling.md): files in WARC_DIR/NODE/, places that name it, and an
    index and a check over a directory that gathers node folders (linked in, here)."""
    warc_dir = tmp_path / "node-warc"
    with serving(site_copy(tmp_path)) as (server,):
        sources = user_sources(SITE / "sources.toml.in", server.origin)
        yield crawl(sources, db_url, FixedClock(T1),
                    {"KGNEWS_WARC_DIR": str(warc_dir), "KGNEWS_NODE": "node-a"})  # fmt: skip
    with Session(archive) as session:
        places = set(session.scalars(select(Fetch.warc_file).where(Fetch.warc_file.is_not(None))))
        (run,) = session.scalars(select(CrawlRun))
        assert run.node == "node-a"
    assert places and all(place.startswith("node-a/kgnews-run") for place in places)
    assert not list(warc_dir.glob("*.warc.gz"))  # nothing outside the node's folder
    gathered = tmp_path / "gathered"
    gathered.mkdir()
    (gathered / "node-a").symlink_to(warc_dir / "node-a")
    (gathered / "node-a" / "old" / "deeper").mkdir(parents=True)  # not a node: left out
    shutil.copy(
        next((warc_dir / "node-a").glob("*.warc.gz")), gathered / "node-a" / "old" / "deeper"
    )
    result = run_kgnews("warc", "index", "--warc-dir", str(gathered), "--db", db_url)
    assert result.returncode == 0, result.stderr
    lines = (gathered / "index.cdxj").read_text().splitlines()
    filenames = {line.split('"filename": "')[1].split('"')[0] for line in lines}
    assert filenames == places  # the linked folder's files, and not the nested copy
    verified = run_kgnews("verify", "--warc", "--warc-dir", str(gathered), "--db", db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
