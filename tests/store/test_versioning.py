"""The versioning rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.extract.article import Article
from crawler.store.models import Article as ArticleRow
from crawler.store.models import ArticleVersion, Fetch
from crawler.store.versioning import (
    FetchInfo,
    content_hash,
    ensure_source,
    store_article,
    store_fetch,
)

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
URL = "https://www.azattyk.org/a/31640000.html"
TITLE = "Казакстандагы нааразылык: Алматыда өзгөчө кырдаал"
BODY = (
    "2-январда Жаңы-Өзөндө башталган нааразылык акциялары Казакстандын бир катар шаарларына жайылды.",
    "Алматынын акимчилигин аскердик техника жана аскерлер курчоого алды.",
)


def article(title: str = TITLE, paragraphs: tuple[str, ...] = BODY, url: str = URL) -> Article:
    return Article(url=url, title=title, paragraphs=paragraphs, language="ky", extractor="test")


@pytest.fixture
def source_id(archive: Engine) -> int:
    return ensure_source(archive, "azattyk", "Азаттык", "https://www.azattyk.org/", "ky")


def fetch(source_id: int, minutes: int = 0, **kw: object) -> FetchInfo:
    return FetchInfo(url=URL, source_id=source_id, fetched_at=T0 + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


def versions(engine: Engine) -> list[tuple[int, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(ArticleVersion.version, ArticleVersion.body).order_by(ArticleVersion.version)
        )
        return [(number, body) for number, body in rows]


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_first_fetch_is_version_one(archive: Engine, source_id: int) -> None:
    result = store_article(archive, article(), fetch(source_id, http_status=200))

    assert (result.outcome, result.version) == ("new", 1)
    with Session(archive) as session:
        row = session.scalars(select(ArticleRow)).one()
        assert row.url == URL
        assert row.first_seen_at == T0 and row.last_fetched_at == T0
        assert row.first_seen_at.tzinfo is not None
        assert row.current_version is not None and row.current_version.version == 1
        assert row.current_version.body == "\n".join(BODY)
        assert row.current_version.word_count == 18
        only_fetch = session.scalars(select(Fetch)).one()
        assert (only_fetch.outcome, only_fetch.article_id, only_fetch.http_status) == (
            "new",
            row.id,
            200,
        )


def test_same_text_again_is_unchanged_and_moves_last_fetched(
    archive: Engine, source_id: int
) -> None:
    store_article(archive, article(), fetch(source_id))
    result = store_article(archive, article(), fetch(source_id, minutes=30))

    assert (result.outcome, result.version) == ("unchanged", 1)
    assert len(versions(archive)) == 1
    assert count(archive, Fetch) == 2
    with Session(archive) as session:
        row = session.scalars(select(ArticleRow)).one()
        assert row.last_fetched_at == T0 + timedelta(minutes=30)
        assert row.first_seen_at == T0


@pytest.mark.parametrize(
    ("title", "paragraphs"),
    [
        # spacing: NBSP, doubled spaces, a thin space, trailing blanks
        (TITLE.replace(" ", "\u00a0", 2), (BODY[0].replace(" ", "  "), BODY[1] + " \u2009")),
        # look-alike letters: ӊ for ң, ѳ for ө, Latin o/a/e and Greek Υ inside Cyrillic words
        (
            TITLE.replace("ө", "ѳ"),
            (
                BODY[0].replace("ң", "ӊ").replace("о", "o"),
                BODY[1].replace("а", "a").replace("е", "e"),
            ),
        ),
        # one paragraph split in two is a change of spacing only
        (TITLE, (BODY[0] + " " + BODY[1],)),
    ],
    ids=["whitespace", "lookalikes", "paragraph-breaks"],
)
def test_noise_is_not_a_change(
    archive: Engine, source_id: int, title: str, paragraphs: tuple[str, ...]
) -> None:
    store_article(archive, article(), fetch(source_id))
    result = store_article(archive, article(title, paragraphs), fetch(source_id, minutes=5))

    assert result.outcome == "unchanged"
    assert len(versions(archive)) == 1


def test_edited_text_is_a_new_version(archive: Engine, source_id: int) -> None:
    store_article(archive, article(), fetch(source_id))
    edited = (BODY[0], BODY[1].replace("аскерлер", "полиция"))
    result = store_article(archive, article(paragraphs=edited), fetch(source_id, minutes=60))

    assert (result.outcome, result.version) == ("changed", 2)
    assert [number for number, _ in versions(archive)] == [1, 2]
    with Session(archive) as session:
        row = session.scalars(select(ArticleRow)).one()
        assert row.current_version is not None
        assert row.current_version.version == 2
        assert "полиция" in row.current_version.body


def test_an_edited_title_alone_is_a_change(archive: Engine, source_id: int) -> None:
    store_article(archive, article(), fetch(source_id))
    result = store_article(archive, article(title=TITLE + " (жаңыланды)"), fetch(source_id, 1))
    assert result.outcome == "changed"


def test_back_and_forth_keeps_every_version(archive: Engine, source_id: int) -> None:
    edited = (BODY[0], "Алматыда интернет өчүрүлдү.")
    outcomes = [
        store_article(archive, article(paragraphs=body), fetch(source_id, minutes)).outcome
        for minutes, body in enumerate([BODY, edited, BODY])
    ]
    assert outcomes == ["new", "changed", "changed"]
    assert [number for number, _ in versions(archive)] == [1, 2, 3]
    assert versions(archive)[0][1] == versions(archive)[2][1]


def test_two_articles_are_independent(archive: Engine, source_id: int) -> None:
    other = "https://www.azattyk.org/a/31640001.html"
    store_article(archive, article(), fetch(source_id))
    result = store_article(archive, article(url=other), FetchInfo(other, source_id, T0))
    assert (result.outcome, result.version) == ("new", 1)
    assert count(archive, ArticleRow) == 2


def test_fetches_without_a_version_are_recorded(archive: Engine, source_id: int) -> None:
    store_article(archive, article(), fetch(source_id))
    not_modified = store_fetch(
        archive, fetch(source_id, 15, http_status=304), "not_modified", article_url=URL
    )
    error = store_fetch(
        archive,
        FetchInfo("https://www.azattyk.org/a/404.html", source_id, T0, http_status=404),
        "error",
        error="HTTP 404",
    )

    assert not_modified.article_id is not None and error.article_id is None
    with Session(archive) as session:
        rows = session.execute(
            select(Fetch.outcome, Fetch.http_status, Fetch.error).order_by(Fetch.id)
        )
        assert list(rows) == [
            ("new", None, None),
            ("not_modified", 304, None),
            ("error", 404, "HTTP 404"),
        ]
        row = session.scalars(select(ArticleRow)).one()
        assert row.last_fetched_at == T0 + timedelta(minutes=15)
    assert len(versions(archive)) == 1


def test_store_fetch_refuses_outcomes_that_need_a_version(archive: Engine, source_id: int) -> None:
    with pytest.raises(ValueError, match="not 'new'"):
        store_fetch(archive, fetch(source_id), "new")


def test_a_failed_transaction_leaves_nothing_behind(archive: Engine, source_id: int) -> None:
    # The fetch row comes last in the transaction; a crawl run that does not exist makes it
    # fail after the article and its version were written in the same transaction.
    with pytest.raises(IntegrityError):
        store_article(archive, article(), fetch(source_id, crawl_run_id=999_999))

    assert count(archive, ArticleRow) == 0
    assert count(archive, ArticleVersion) == 0
    assert count(archive, Fetch) == 0


def test_a_failed_change_keeps_the_previous_version_current(
    archive: Engine, source_id: int
) -> None:
    store_article(archive, article(), fetch(source_id))
    with pytest.raises(IntegrityError):
        store_article(
            archive, article(paragraphs=BODY[:1]), fetch(source_id, 1, crawl_run_id=999_999)
        )

    assert versions(archive) == [(1, "\n".join(BODY))]
    with Session(archive) as session:
        row = session.scalars(select(ArticleRow)).one()
        assert row.current_version is not None and row.current_version.version == 1
        assert row.last_fetched_at == T0


def test_content_hash_ignores_noise_but_not_words() -> None:
    assert content_hash("Бишкек", ["Ала-Тоо аянты"]) == content_hash(
        " Бишкек ", ["Ала-Тоо\u00a0аянты"]
    )
    assert content_hash("Бишкек", ["Ала-Тоо аянты"]) != content_hash("Бишкек", ["Ала-Тоо аянтында"])
    assert content_hash("Бишкек", ["Ала-Тоо"]) != content_hash("Бишкек Ала-Тоо", [])


def test_validators_and_the_last_change_are_kept_on_the_article(
    archive: Engine, source_id: int
) -> None:
    store_article(
        archive,
        article(),
        fetch(source_id, etag='"v1"', last_modified="Mon, 03 Jun 2024 10:00:00 GMT"),
    )
    store_article(archive, article(), fetch(source_id, 30, etag='"v1"'))
    with Session(archive) as session:
        row = session.scalars(select(ArticleRow)).one()
        assert (row.etag, row.last_modified, row.last_changed_at) == ('"v1"', None, None)
    store_article(archive, article(paragraphs=BODY[:1]), fetch(source_id, 60, etag='"v2"'))
    with Session(archive) as session:
        row = session.scalars(select(ArticleRow)).one()
        assert (row.etag, row.last_changed_at) == ('"v2"', T0 + timedelta(minutes=60))
