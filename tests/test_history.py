"""`kgnews history` and `kgnews diff` on an article edited and edited back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from crawler.extract.article import Article
from crawler.store.versioning import FetchInfo, ensure_source, store_article
from tests.helpers import assert_user_error, run_kgnews

URL = "https://24.kg/kyrgyzcha/312345_bishkekte_zhamgyr/"
A = ("Бишкекте кечээ катуу жамгыр жаады.", "Көчөлөрдү суу каптады.")
B = ("Бишкекте кечээ катуу жамгыр жана мөндүр жаады.", "Көчөлөрдү суу каптады.")


def test_edited_and_edited_back_is_three_versions_and_the_third_restores_the_first(
    archive: Engine, db_url: str
) -> None:
    source = ensure_source(archive, "24kg", "24.kg", "https://24.kg/", "ky")
    t0 = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    for hours, body in enumerate((A, B, A)):
        article = Article(url=URL, title="Бишкекте жамгыр", paragraphs=body, extractor="test")
        store_article(archive, article, FetchInfo(URL, source, t0 + timedelta(hours=hours)))

    history = run_kgnews("history", URL, "--db", db_url)
    assert history.returncode == 0, history.stderr
    rows = [line for line in history.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 3
    assert "first" in rows[0] and "+2 −0 words" in rows[1]
    assert "restores version 1" in rows[2] and "restores" not in rows[1]

    diff = run_kgnews("diff", URL, "--from", "1", "--to", "2", "--db", db_url)
    assert diff.stdout.splitlines()[1:] == [
        "¶1: Бишкекте кечээ катуу жамгыр {+жана мөндүр+} жаады."
    ]
    back = run_kgnews("diff", URL, "--db", db_url)  # 2 → 3 by default
    assert back.stdout.splitlines()[1:] == [
        "¶1: Бишкекте кечээ катуу жамгыр [-жана мөндүр-] жаады."
    ]
    same = run_kgnews("diff", URL, "--from", "1", "--to", "3", "--db", db_url)
    assert same.stdout.splitlines()[1] == "no change in title or text"


def test_history_of_an_unknown_url_and_bad_versions(archive: Engine, db_url: str) -> None:
    assert_user_error(
        run_kgnews("history", "https://24.kg/nope/", "--db", db_url), "no article with URL"
    )
    source = ensure_source(archive, "24kg", "24.kg", "https://24.kg/", "ky")
    article = Article(url=URL, title="Бишкекте жамгыр", paragraphs=A, extractor="test")
    store_article(archive, article, FetchInfo(URL, source, datetime(2024, 6, 1, tzinfo=UTC)))
    assert_user_error(
        run_kgnews("diff", URL, "--to", "5", "--db", db_url), "has versions 1–1, not 5"
    )
    # a tracking parameter on the URL still finds the article
    assert run_kgnews("history", URL + "?utm_source=telegram", "--db", db_url).returncode == 0
