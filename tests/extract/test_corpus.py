"""The gold corpus (tests/fixtures/pages): the targets of the extraction issue, and
determinism. Pages are in the markup of the Kyrgyz sites the crawler serves, crossed
with every kind of repetition; see tests/fixtures/pages/README.md."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import reduce
from pathlib import Path

import pytest

from crawler.extract.corpus import GoldPage, evaluate, load_corpus
from crawler.extract.evaluate import ZERO, score
from crawler.extract.rules import NO_RULES, ExtractionRules
from crawler.sources.registry import load_registry

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
CORPUS = load_corpus(PAGES)
REGISTRY = load_registry()


def rules_for(source: str | None) -> ExtractionRules:
    return REGISTRY.get(source).rules if source in set(REGISTRY.source_keys()) else NO_RULES


def test_the_corpus_is_big_and_varied() -> None:
    assert len(CORPUS) >= 40
    kinds = {page.meta["repetition"] for page in CORPUS}
    assert {"slick", "swiper8", "swiper9", "owl", "splide", "glide", "tns", "bx", "thumbs", "mobile",
            "keypoints", "glued", "lookalikes"} <= kinds | {k for p in CORPUS for k in p.meta.get("notes", "").split()}  # fmt: skip
    assert {page.source for page in CORPUS} >= {
        "azattyk",
        "sputnik",
        "24kg",
        "kloop",
        "super",
        "bbc",
    }
    assert any(b"windows-1251" in page.html[:2000] for page in CORPUS)


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    return {r.name: r for r in evaluate(CORPUS, rules_for)}


def test_targets_on_the_whole_corpus(results: dict[str, object]) -> None:
    total = reduce(lambda a, b: a + b, (r.ours for r in results.values()), ZERO)  # type: ignore[attr-defined]
    assert total.twice == 0, "a gold paragraph came out twice"
    assert total.recall >= 0.99
    assert total.f1 >= 0.97
    assert total.leaked == 0


@pytest.mark.parametrize("page", CORPUS, ids=[p.name for p in CORPUS])
def test_each_page(page: GoldPage, results: dict[str, object]) -> None:
    result = results[page.name].ours  # type: ignore[attr-defined]
    assert result.twice == 0
    assert result.found == result.gold, f"{result.gold - result.found} gold paragraphs missing"
    assert result.leaked == 0


@pytest.mark.parametrize("page", CORPUS, ids=[p.name for p in CORPUS])
def test_metadata(page: GoldPage) -> None:
    from crawler.extract.pipeline import extract_article

    article = extract_article(page.html, page.url, rules_for(page.source))
    assert article.title == page.meta["title"]
    assert article.language == page.meta.get("language", "ky")
    if page.meta.get("published_at"):
        from datetime import datetime

        assert article.published_at == datetime.fromisoformat(page.meta["published_at"])
    for author in page.meta.get("authors", []):
        assert author in article.authors


def test_same_output_in_any_process_and_any_order(tmp_path: Path) -> None:
    script = (
        "import json, sys\n"
        "from crawler.extract.corpus import load_corpus\n"
        "from crawler.extract.pipeline import extract_article\n"
        "from tests.extract.test_corpus import rules_for\n"
        f"pages = load_corpus(__import__('pathlib').Path({str(PAGES)!r}))\n"
        "if sys.argv[1] == 'reverse': pages.reverse()\n"
        "out = {p.name: extract_article(p.html, p.url, rules_for(p.source)).to_json() for p in pages}\n"
        "print(json.dumps(out, sort_keys=True, ensure_ascii=False))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, order],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout
        for order in ("forward", "reverse")
    ]
    assert runs[0] == runs[1]
    assert len(json.loads(runs[0])) == len(CORPUS)


def test_bare_trafilatura_is_worse_on_this_corpus(results: dict[str, object]) -> None:
    """Why kgnews exists: on these pages trafilatura alone repeats or drops slides."""
    bare = reduce(lambda a, b: a + b, (r.bare for r in results.values()), ZERO)  # type: ignore[attr-defined]
    assert bare.twice > 0 or bare.recall < 0.95


def test_score_counts_repeats_and_misses() -> None:
    gold = ["Биринчи абзац бул жерде жазылган.", "Экинчи абзац да ушул жерде жазылган."]
    assert score(gold, gold).f1 == 1.0
    repeated = score([*gold, gold[0]], gold)
    assert repeated.twice == 1 and repeated.precision < 1.0 and repeated.recall == 1.0
    missing = score(gold[:1], gold)
    assert missing.found == 1 and missing.recall < 1.0
    assert score(gold, gold, ["Биринчи абзац"]).leaked == 1
