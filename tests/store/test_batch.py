"""A batch of writes leaves the archive exactly as the same writes made one by one.

The batch below walks through every rule a crawl meets: a new article, the same text
again, two changes of one article in one batch, a 304 for an article that a later write
of the batch makes (not there yet) and for one an earlier write made, a skipped page,
an error, and a fetch retried after its commit answer was lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crawler.extract.article import Article
from crawler.store.batch import (
    ArticleWrite,
    FetchWrite,
    Write,
    store_batch,
    store_one,
    store_reextractions,
)
from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import upgrade
from crawler.store.models import Article as ArticleRow
from crawler.store.models import ArticleVersion, Fetch
from crawler.store.versioning import FetchInfo, ensure_source
from tests.conftest import BACKENDS, fresh_database

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
A, B, C, D = (f"https://kabar.kg/news/{name}/" for name in "abcd")


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def extracted(url: str, text: str, **fields: Any) -> Article:
    return Article(url=url, title="Аба ырайы", paragraphs=(text,), extractor="test", **fields)


def fetch(url: str, minutes: int, key: str, **fields: Any) -> FetchInfo:
    """A fetch's first write (no lookup of its key) unless `first_try=False`: a retry."""
    return FetchInfo(url, SOURCE_ID, at(minutes), key=key, **{"first_try": True, **fields})


SOURCE_ID = 1  # the first source of a fresh archive

BEFORE: list[Write] = [
    ArticleWrite(extracted(A, "Биринчи текст."), fetch(A, 0, "k0")),
    ArticleWrite(extracted(B, "Эски текст."), fetch(B, 1, "k1")),
]
BATCH: list[Write] = [
    FetchWrite(fetch(C, 10, "k10", http_status=304), "not_modified", article_url=C),
    ArticleWrite(extracted(C, "Жаңы макала."), fetch(C, 11, "k11", etag='"c1"')),
    ArticleWrite(extracted(A, "Биринчи  текст."), fetch(A, 12, "k12")),  # spacing only
    ArticleWrite(extracted(B, "Эски текст, оңдолгон."), fetch(B, 13, "k13")),
    ArticleWrite(extracted(B, "Таптакыр башка текст."), fetch(B, 9, "k14")),  # an older copy
    FetchWrite(fetch(C, 15, "k15", http_status=304), "not_modified", article_url=C),
    FetchWrite(
        fetch(D, 16, "k16"),
        "skipped",
        error="language ru; kabar keeps ky",
        article_url=D,
        article=extracted(D, "По-русски.", language="ru"),
    ),
    FetchWrite(
        fetch("https://kabar.kg/news/x/", 17, "k17", http_status=500), "error", error="HTTP 500"
    ),
    ArticleWrite(extracted(C, "Жаңы макала."), fetch(C, 18, "k18")),
    ArticleWrite(extracted(D, "Кечиккен жаңылык.", published_at=at(-60)), fetch(D, 19, "k19")),
    ArticleWrite(extracted(A, "Биринчи текст."), fetch(A, 20, "k0", first_try=False)),  # again
    # A retry of k1, whose commit landed before the batch: B has changed twice since.
    ArticleWrite(extracted(B, "Эски текст."), fetch(B, 1, "k1", first_try=False)),
    ArticleWrite(extracted(D, "Кечиккен жаңылык."), fetch(D, 21, "k21")),  # no date this time
]


@pytest.fixture(params=BACKENDS)
def two_archives(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Engine]]:
    engines = []
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with fresh_database(request.param, tmp_path / "one") as one, fresh_database(
        request.param, tmp_path / "two"
    ) as two:  # fmt: skip
        for url in (one, two):
            engine = make_engine(resolve_url(url))
            upgrade(engine)
            assert ensure_source(engine, "kabar", "Кабар", "https://kabar.kg/", "ky") == SOURCE_ID
            engines.append(engine)
        yield engines
        for engine in engines:
            engine.dispose()


def rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every row the writes make, in id order."""
    dump = {}
    with Session(engine) as session:
        for model in (ArticleRow, ArticleVersion, Fetch):
            table = model.__table__
            query = select(*table.columns).order_by(table.c.id)  # type: ignore[attr-defined]
            dump[model.__tablename__] = [tuple(row) for row in session.execute(query)]
    return dump


def test_a_batch_leaves_the_archive_as_the_same_writes_one_by_one(
    two_archives: list[Engine],
) -> None:
    alone, batched = two_archives
    for write in BEFORE:
        store_one(alone, write)
        store_one(batched, write)
    one_by_one = [store_one(alone, write) for write in BATCH]
    in_one = store_batch(batched, BATCH)

    assert in_one == one_by_one
    assert [(r.outcome, r.version) for r in in_one] == [
        ("not_modified", None),  # C is not in the archive yet at this write
        ("new", 1),
        ("unchanged", 1),
        ("changed", 2),
        ("changed", 3),
        ("not_modified", None),
        ("skipped", None),
        ("error", None),
        ("unchanged", 1),
        ("new", 1),
        ("new", 1),  # what the first write under key k0 recorded, not a second fetch
        ("new", 3),  # what k1 recorded, and B's number as it stands after k14
        ("unchanged", 1),
    ]
    assert in_one[0].article_id is None and in_one[5].article_id == in_one[1].article_id
    assert rows(batched) == rows(alone)

    found = rows(batched)
    assert len(found["fetches"]) == 2 + len(BATCH) - 2  # the retried keys are not recorded again
    with Session(batched) as session:
        b = session.scalars(select(ArticleRow).where(ArticleRow.url == B)).one()
        c = session.scalars(select(ArticleRow).where(ArticleRow.url == C)).one()
        d = session.scalars(select(ArticleRow).where(ArticleRow.url == D)).one()
        assert b.current_version is not None and b.current_version.version == 3
        assert b.last_fetched_at == at(13)  # the older copy does not move it back
        assert b.last_changed_at == at(13)
        assert (c.first_seen_at, c.last_fetched_at, c.etag) == (at(11), at(18), None)
        assert d.published_at == at(-60)  # a page without a date does not wipe it


def test_pages_extracted_again_make_versions_only_where_the_text_changed(
    two_archives: list[Engine],
) -> None:
    archive = two_archives[0]
    for write in BEFORE:
        store_one(archive, write)
    with Session(archive) as session:
        ids = dict(session.execute(select(ArticleRow.url, ArticleRow.id)).all())
    results = store_reextractions(archive, [
        (ids[A], extracted(A, "Биринчи текст."), at(0)),  # today's extraction agrees
        (ids[B], extracted(B, "Эски текст, тазаланган."), at(1)),  # it reads more now
        (ids[B], extracted(B, "Эски текст, тазаланган."), at(1)),  # (the same page twice)
    ])  # fmt: skip
    assert [(r.outcome, r.version) for r in results] == [
        ("unchanged", 1), ("changed", 2), ("unchanged", 2),
    ]  # fmt: skip
    with Session(archive) as session:
        b = session.scalars(select(ArticleRow).where(ArticleRow.url == B)).one()
        assert b.current_version is not None and b.current_version.body == "Эски текст, тазаланган."
        assert b.last_fetched_at == at(1)  # no fetch: the page is the one fetched then
        assert b.last_changed_at == at(1)
