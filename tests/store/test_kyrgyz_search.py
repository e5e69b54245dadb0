"""Search finds Kyrgyz inflected forms, and the same articles on SQLite and PostgreSQL.

The word/form pairs are hand-made (tests/fixtures/search/word_forms.tsv): each form is in a
sentence of its own article, and a search for the word must find that article.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crawler.extract.article import Article
from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import upgrade
from crawler.store.search import search
from crawler.store.versioning import FetchInfo, ensure_source, store_article
from tests.conftest import POSTGRES_ENV, fresh_database

PAIRS_FILE = Path(__file__).parent.parent / "fixtures" / "search" / "word_forms.tsv"
PAIRS = [
    tuple(line.split("\t"))
    for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
T1 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# Words that share a start with a query word but are not its forms.
DECOYS = ["Ошол күнү баары жабык болчу.", "Айтылган сөз аткарылды.", "Үйрөнүү оңой эмес."]
# Tokens PostgreSQL's parser would keep whole and FTS5 splits (migration 0009): a query
# for a part finds the article on both.
JOINED = [
    ("Мыйзам 01.03.2025 күчүнө кирет.", "2025"),
    ("Инфляция 3.5 пайызга жетти.", '"3 5 пайызга"'),
    ("Маалымат 24.kg сайтында жарыяланды.", "kg"),
    ("Дареги: info@mail.kg", "mail"),
    ("COVID-19 боюнча жаңы чектөөлөр.", '"covid 19"'),
    ("Түнкүсүн -5 градус суук болот.", '"5 градус"'),
    ("Ысык-Көл жээгинде жаңы пляж ачылды.", '"ысык көл"'),
    ("Телефон: +996 555 12-34-56", "996"),
]


def build(url: str) -> Engine:
    engine = make_engine(resolve_url(url))
    upgrade(engine)
    source = ensure_source(engine, "s", "S", "https://s.kg/", "ky")
    texts = [pair[2] for pair in PAIRS] + DECOYS + [text for text, _ in JOINED]
    for number, sentence in enumerate(texts, 1):
        article = Article(
            url=f"https://s.kg/{number}",
            title=f"Кабар {number}",
            paragraphs=(sentence,),
            extractor="t",
        )
        store_article(engine, article, FetchInfo(article.url, source, T1))
    return engine


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    """The pairs' articles on SQLite, and on PostgreSQL when the suite has it."""
    import os

    kinds = ["sqlite"] + (["postgresql"] if os.environ.get(POSTGRES_ENV) else [])
    if os.environ.get("KGNEWS_REQUIRE_POSTGRES") and len(kinds) == 1:
        pytest.fail(f"KGNEWS_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not")
    engines: dict[str, Engine] = {}
    with fresh_database("sqlite", tmp_path_factory.mktemp("sqlite")) as lite:
        engines["sqlite"] = build(lite)
        if "postgresql" in kinds:
            with fresh_database("postgresql", tmp_path_factory.mktemp("pg")) as pg:
                engines["postgresql"] = build(pg)
                yield engines
                engines["postgresql"].dispose()
        else:
            yield engines
        engines["sqlite"].dispose()


def numbers(engine: Engine, query: str, **options: bool) -> set[int]:
    return {int(h.url.rsplit("/", 1)[1]) for h in search(engine, query, limit=1000, **options)}


def test_the_list_is_big_enough_and_every_form_really_differs_from_its_word() -> None:
    assert len(PAIRS) >= 40
    for word, form, sentence in PAIRS:
        assert form.casefold() in sentence.casefold(), (word, form)
        assert form.casefold() != word.casefold(), (word, form)


@pytest.mark.parametrize("number", range(1, len(PAIRS) + 1), ids=[p[1] for p in PAIRS])
def test_a_word_finds_the_article_with_its_inflected_form(
    archives: dict[str, Engine], number: int
) -> None:
    word, form, _ = PAIRS[number - 1]
    hits = {kind: numbers(engine, word) for kind, engine in archives.items()}
    assert number in hits["sqlite"], f"{word!r} does not find {form!r}"
    assert len(set(map(frozenset, hits.values()))) == 1, f"the backends disagree: {hits}"
    assert number in numbers(archives["sqlite"], form.upper())  # the form itself, any case


def test_exact_words_do_not_find_the_forms(archives: dict[str, Engine]) -> None:
    for kind, engine in archives.items():
        assert numbers(engine, "Бишкек", exact=True) == set(), kind
        assert numbers(engine, "Бишкекте", exact=True) == {1}, kind
        assert numbers(engine, "шайлоо") == {4, 5}, kind


def test_a_short_word_finds_its_endings_but_not_longer_words(
    archives: dict[str, Engine],
) -> None:
    ol, ay, uy = (len(PAIRS) + n for n in (1, 2, 3))  # the decoys: Ошол, Айтылган, Үйрөнүү
    for kind, engine in archives.items():
        osh = numbers(engine, "Ош")
        assert {36, 37} <= osh and ol not in osh, kind
        assert ay not in numbers(engine, "ай") and uy not in numbers(engine, "үй"), kind


def test_a_phrase_of_stems_finds_its_inflected_words_in_order(
    archives: dict[str, Engine],
) -> None:
    for kind, engine in archives.items():
        assert numbers(engine, '"айыл мектеп"') == {8}, kind  # Айылдын мектебинде
        assert numbers(engine, '"мектеп айыл"') == set(), kind
        hit = search(engine, "мектеп жылуулук")[0]
        assert "[мектебинде]" in hit.snippet, (kind, hit.snippet)


@pytest.mark.parametrize("index", range(len(JOINED)), ids=[q for _, q in JOINED])
def test_both_backends_split_joined_tokens_alike(archives: dict[str, Engine], index: int) -> None:
    number = len(PAIRS) + len(DECOYS) + index + 1
    query = JOINED[index][1]
    for kind, engine in archives.items():
        assert number in numbers(engine, query), (kind, query)
        assert number in numbers(engine, query, exact=True), (kind, query)
