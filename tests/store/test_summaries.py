"""The summary tables say what their definitions say, whichever way the rows were written.

current_authors lists the authors of each article's current version; late_edits holds,
for each article edited more than 24 hours after its published_at, the first such edit.
Both are kept by triggers (migration 0011). Each test writes an archive through one of
the store's paths (a fetch at a time, a batch, extraction again) and compares the tables
with the same facts worked out here in Python from the articles and their versions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from crawler.extract.article import Article
from crawler.store.batch import ArticleWrite, Write, store_batch, store_one, store_reextractions
from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import downgrade, upgrade
from crawler.store.models import Article as ArticleRow
from crawler.store.models import ArticleVersion, CurrentAuthor, LateEdit
from crawler.store.versioning import FetchInfo, ensure_source
from tests.conftest import BACKENDS, fresh_database
from tests.helpers import until_a_session_waits_for_a_lock

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
A, B, C = (f"https://kabar.kg/news/{name}/" for name in "abc")
SOURCE_ID = 1


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def write(url: str, text: str, hours: float, *, key: str, **fields: Any) -> ArticleWrite:
    article = Article(url=url, title="Жаңылык", paragraphs=(text,), extractor="test", **fields)
    return ArticleWrite(article, FetchInfo(url, SOURCE_ID, at(hours), key=key, first_try=True))


@pytest.fixture(params=BACKENDS)
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as url:
        engine = make_engine(resolve_url(url))
        upgrade(engine)
        ensure_source(engine, "kabar", "Кабар", "https://kabar.kg/", "ky")
        yield engine
        engine.dispose()


def authors(engine: Engine) -> dict[str, list[str]]:
    """current_authors, by article URL, in list order."""
    with Session(engine) as session:
        rows = session.execute(
            select(ArticleRow.url, CurrentAuthor.author)
            .join(ArticleRow, ArticleRow.id == CurrentAuthor.article_id)
            .order_by(ArticleRow.url, CurrentAuthor.position)
        ).all()
    found: dict[str, list[str]] = {}
    for url, author in rows:
        found.setdefault(url, []).append(author)
    return found


def late(engine: Engine) -> dict[str, datetime]:
    with Session(engine) as session:
        rows = session.execute(
            select(ArticleRow.url, LateEdit.first_late_edit_at).join(
                ArticleRow, ArticleRow.id == LateEdit.article_id
            )
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def defined(engine: Engine) -> tuple[dict[str, list[str]], dict[str, datetime]]:
    """Both tables as their definitions give them, from the articles and versions."""
    with Session(engine) as session:
        articles = session.scalars(select(ArticleRow)).all()
        wanted_authors = {}
        for a in articles:  # the strings of the current version's list
            value = a.current_version.authors if a.current_version is not None else []
            names = [n for n in value if isinstance(n, str)] if isinstance(value, list) else []
            if names:
                wanted_authors[a.url] = names
        wanted_late: dict[str, datetime] = {}
        for a in articles:
            versions = session.scalars(
                select(ArticleVersion).where(ArticleVersion.article_id == a.id)
            ).all()
            edits = [
                v.fetched_at
                for v in versions
                if v.version > 1
                and a.published_at is not None
                and v.fetched_at - a.published_at > timedelta(hours=24)
            ]
            if edits:
                wanted_late[a.url] = min(edits)
    return wanted_authors, wanted_late


def agree(engine: Engine) -> tuple[dict[str, list[str]], dict[str, datetime]]:
    wanted = defined(engine)
    assert (authors(engine), late(engine)) == wanted
    return wanted


# Steps of an archive's life; each is written alone, or as one batch, and checked after.
STEPS: list[list[Write]] = [
    [
        write(A, "Биринчи.", 0, key="a1", authors=("Асан", "Үсөн"), published_at=at(0)),
        write(B, "Башка.", 1, key="b1", authors=("Бермет",), published_at=at(1)),
        write(C, "Датасыз.", 2, key="c1"),  # no date: its edits are never late
    ],
    [
        write(A, "Биринчи, оңдолгон.", 30, key="a2", authors=("Үсөн", "Айгүл")),  # late
        write(B, "Башка, оңдолгон.", 10, key="b2", authors=("Бермет",)),  # within a day
        write(C, "Датасыз, оңдолгон.", 50, key="c2"),
    ],
    [
        write(A, "Биринчи, дагы.", 40, key="a3", authors=("Үсөн", "Айгүл")),  # later: first stays
        write(B, "Башка, кийин.", 40, key="b3", authors=()),  # late; no authors any more
    ],
    [  # A's page now says it was published later: only the fourth version is late
        write(A, "Биринчи, акыркы.", 50, key="a4", published_at=at(20), authors=("Үсөн",)),
        # B's page says it was published earlier, with the text as it is: no new version
        write(B, "Башка, кийин.", 41, key="b4", published_at=at(-30), authors=()),
    ],
]


def written(engine: Engine, steps: Sequence[list[Write]], how: Callable[..., Any]) -> None:
    for step in steps:
        how(engine, step)
        agree(engine)


def one_by_one(engine: Engine, step: list[Write]) -> None:
    for item in step:
        store_one(engine, item)


@pytest.mark.parametrize("how", [one_by_one, store_batch], ids=["one-by-one", "batch"])
def test_the_tables_follow_every_write(archive: Engine, how: Callable[..., Any]) -> None:
    written(archive, STEPS, how)
    # Checked by eye against the steps above, not only against `defined`:
    assert authors(archive) == {A: ["Үсөн"]}
    assert late(archive) == {A: at(50), B: at(10)}  # B: its v2 at 10 h is 40 h after -30 h


def test_a_batch_that_writes_a_whole_life_at_once(archive: Engine) -> None:
    """Every step in one transaction: the versions of an article and the change of its
    date in the same batch."""
    store_batch(archive, [item for step in STEPS for item in step])
    assert agree(archive) == ({A: ["Үсөн"]}, {A: at(50), B: at(10)})


def test_extraction_again_moves_the_authors(archive: Engine) -> None:
    written(archive, STEPS[:1], store_batch)
    with Session(archive) as session:
        a = session.scalars(select(ArticleRow.id).where(ArticleRow.url == A)).one()
    again = Article(
        url=A,
        title="Жаңылык",
        paragraphs=("Биринчи, тазаланган.",),
        extractor="v2",
        authors=("Асан",),
    )  # the text differs (authors alone make no version)
    store_reextractions(archive, [(a, again, at(0))])
    assert agree(archive)[0][A] == ["Асан"]


def test_the_migration_fills_the_tables_from_an_existing_archive(archive: Engine) -> None:
    written(archive, STEPS, store_batch)
    before = defined(archive)
    downgrade(archive, "0010")
    upgrade(archive)
    assert agree(archive) == before
    assert before[1]  # there was something to fill


def test_a_copy_holds_the_same_tables(archive: Engine, tmp_path: Path) -> None:
    """`export --format sqlite`: the copy's own triggers fire as rows arrive; what it
    ends with is the source's summaries, row for row."""
    from crawler.store.copy import copy_archive

    written(archive, STEPS, store_batch)
    copied = make_engine(resolve_url(f"sqlite:///{tmp_path / 'copy.sqlite3'}"))
    try:
        copy_archive(archive, tmp_path / "copy.sqlite3")
        assert (authors(copied), late(copied)) == defined(archive)
    finally:
        copied.dispose()


def test_verify_names_each_article_whose_summary_rows_are_wrong(archive: Engine) -> None:
    from crawler.verify.check import verify

    written(archive, STEPS, store_batch)
    assert list(verify(archive, at(100))) == []
    with Session(archive) as session:
        ids = dict(session.execute(select(ArticleRow.url, ArticleRow.id)).all())
    with archive.begin() as connection:  # as if a trigger had been lost, or bypassed
        connection.execute(delete(CurrentAuthor).where(CurrentAuthor.article_id == ids[A]))
        connection.execute(
            update(LateEdit).where(LateEdit.article_id == ids[B]).values(first_late_edit_at=at(40))
        )
        connection.execute(insert(LateEdit).values(article_id=ids[C], first_late_edit_at=at(50)))
    assert list(verify(archive, at(100))) == [
        f"article {ids[A]}: current_authors lists [], its current version ['Үсөн']",
        f"article {ids[B]}: late_edits says first late edit at 2026-06-03T00:00:00+00:00, "
        "its versions first late edit at 2026-06-01T18:00:00+00:00",
        f"article {ids[C]}: late_edits says first late edit at 2026-06-03T10:00:00+00:00, "
        "its versions no late edit",
    ]
    assert list(verify(archive, at(100), source="kabar"))  # one source's rows: the same check


def test_late_means_more_than_a_day_to_the_microsecond(archive: Engine) -> None:
    def at_time(url: str, text: str, moment: datetime, key: str) -> ArticleWrite:
        article = Article(url=url, title="Ж", paragraphs=(text,), extractor="test")
        return ArticleWrite(article, FetchInfo(url, SOURCE_ID, moment, key=key, first_try=True))

    # C: published a hair before midnight at a year's end (SQLite must not round it up)
    eve = datetime(2026, 12, 31, 23, 59, 59, 999_700, tzinfo=UTC)
    store_batch(archive, [
        write(A, "Бир.", 0, key="a1", published_at=at(0)),
        write(B, "Эки.", 0, key="b1", published_at=at(0)),
        at_time(C, "Үч.", eve, "c1"),
    ])  # fmt: skip
    store_batch(archive, [write(C, "Үч.", 0, key="c0", published_at=eve)])  # its date
    day, tick = timedelta(days=1), timedelta(microseconds=400)
    store_batch(archive, [
        at_time(A, "Бир, оңдолгон.", START + day, "a2"),  # a day exactly: not late
        at_time(B, "Эки, оңдолгон.", START + day + tick, "b2"),  # 400 µs more: late
        at_time(C, "Үч, оңдолгон.", eve + day + tick, "c2"),  # late, in the next year
    ])  # fmt: skip
    assert agree(archive)[1] == {B: START + day + tick, C: eve + day + tick}


def test_only_the_strings_of_an_authors_list_are_authors(archive: Engine) -> None:
    """Written by hand (kgnews writes lists of names): null, true, 1.5 and a value that
    is not a list name nobody, alike on both databases and in verify."""
    from crawler.verify.check import verify

    written(archive, STEPS[:1], store_batch)
    with Session(archive) as session, session.begin():
        ids = dict(session.execute(select(ArticleRow.url, ArticleRow.current_version_id)).all())
        session.execute(
            update(ArticleVersion)
            .where(ArticleVersion.id == ids[A])
            .values(authors=[None, "Асан", True, 1.5, {"name": "Үсөн"}])
        )
        session.execute(
            update(ArticleVersion).where(ArticleVersion.id == ids[B]).values(authors="Бермет")
        )
    downgrade(archive, "0010")
    upgrade(archive)  # the tables are filled again from the versions
    assert authors(archive) == {A: ["Асан"]}
    assert agree(archive)[0] == {A: ["Асан"]}
    assert list(verify(archive, at(100))) == []


@pytest.mark.parametrize(
    ("start", "version_first"),
    [("0010", True), ("0008", False)],
    ids=["0010-version-written", "0008-article-locked"],
)
def test_the_migration_waits_for_a_write_under_way_and_keeps_it(
    archive: Engine, start: str, version_first: bool
) -> None:
    """PostgreSQL: a crawl's write under way when the upgrade starts, having locked its
    article (and maybe written its version). The upgrade waits for it, so the write lands
    in the tables' fill or in their triggers, never between, and neither waits for the
    other for ever (from 0008, migration 0009 locks article_versions before 0011 runs)."""
    if archive.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: a migration cannot meet a write")
    written(archive, STEPS[:1], store_batch)
    downgrade(archive, start)
    migrated: dict[str, BaseException | None] = {}

    def migrate() -> None:
        try:
            upgrade(archive)
            migrated["error"] = None
        except BaseException as exc:  # (reported below, in the test's thread)
            migrated["error"] = exc

    with Session(archive) as reading:
        title = reading.scalars(
            select(ArticleVersion.title).where(ArticleVersion.version == 1)
        ).first()
    with Session(archive) as writing, writing.begin():
        pid = writing.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # As a batch begins: its articles locked, nothing of article_versions read yet.
        a = writing.scalars(select(ArticleRow).where(ArticleRow.url == A).with_for_update()).one()
        edit = ArticleVersion(
            article_id=a.id, version=2, fetched_at=at(30), content_hash="2" * 64, title=title,
            body="Биринчи, оңдолгон.", authors=["Айгүл"], tags=[], word_count=2,
            extractor="test", chars_added=1, chars_removed=0, title_changed=False,
        )  # fmt: skip
        if version_first:
            writing.add(edit)
            writing.flush()  # the version is written; the article not moved to it yet
        thread = threading.Thread(target=migrate, daemon=True)
        thread.start()
        until_a_session_waits_for_a_lock(
            archive,
            held_by=pid,
            or_until=lambda: not thread.is_alive(),
            what="the upgrade neither waited for the write nor ended",
        )
        if not version_first:
            writing.add(edit)
            writing.flush()
        a.current_version_id = edit.id
    thread.join(60)
    assert migrated.get("error", "still running") is None, migrated
    assert agree(archive) == ({A: ["Айгүл"], B: ["Бермет"]}, {A: at(30)})
