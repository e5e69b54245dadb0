"""A gold corpus on disk, and our pipeline scored on it beside bare trafilatura.

A corpus directory holds, per page, `NAME.html` (the bytes a server sent),
`NAME.gold.txt` (the clean body, one paragraph a line) and `NAME.json` (url, source
key, boilerplate strings that must not leak). The public benchmarks' form is read too:
`ID.html` + `ID.json` whose "paragraphs" list is the gold body (a paragraph with line
breaks in it is several).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

from crawler.bundled import bundled
from crawler.extract.errors import NoArticle
from crawler.extract.evaluate import Score, score
from crawler.extract.pipeline import extract_article
from crawler.extract.rules import NO_RULES, ExtractionRules


@dataclass(frozen=True)
class GoldPage:
    name: str
    html: bytes
    gold: list[str]
    meta: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.meta.get("url") or f"https://example.invalid/{self.name}")

    @property
    def source(self) -> str | None:
        source = self.meta.get("source")
        return str(source) if source else None

    @property
    def boilerplate(self) -> list[str]:
        return [str(b) for b in self.meta.get("boilerplate", [])]


def gold_pages_dir() -> Path:
    """The gold pages kgnews ships: inside the package when installed from a wheel, else
    the repository's tests/fixtures/pages/."""
    return bundled("_gold_pages", "tests", "fixtures", "pages")


def load_corpus(directory: Path) -> list[GoldPage]:
    pages = []
    for html in sorted(directory.glob("*.html")):
        gold = html.with_name(html.stem + ".gold.txt")
        meta = html.with_name(html.stem + ".json")
        info = json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}
        if gold.exists():
            lines = gold.read_text(encoding="utf-8").splitlines()
        elif isinstance(info.get("paragraphs"), list):
            lines = [line for paragraph in info["paragraphs"] for line in paragraph.splitlines()]
        else:
            continue
        stripped = [line.strip() for line in lines]
        pages.append(GoldPage(html.stem, html.read_bytes(), [x for x in stripped if x], info))
    return pages


def ours(page: GoldPage, rules: ExtractionRules = NO_RULES) -> list[str]:
    try:
        return list(extract_article(page.html, page.url, rules).paragraphs)
    except NoArticle:
        return []


def bare_trafilatura(page: GoldPage) -> list[str]:
    text = trafilatura.extract(page.html, url=page.url) or ""
    return [line for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class PageResult:
    name: str
    ours: Score
    bare: Score


def evaluate(
    pages: list[GoldPage], rules_for: Callable[[str | None], ExtractionRules]
) -> list[PageResult]:
    return [
        PageResult(
            page.name,
            score(ours(page, rules_for(page.source)), page.gold, page.boilerplate),
            score(bare_trafilatura(page), page.gold, page.boilerplate),
        )
        for page in pages
    ]
