"""Extraction quality: kgnews beside bare trafilatura (and readability-lxml) on gold corpora.

Run: .venv/bin/python benchmarks/extract_quality.py [--jobs N] [--worst N] [DIR ...]

DIR is any folder of pages with gold bodies, in either form:
- `ID.html` + `ID.json` with {"url": ..., "paragraphs": [...]} (the public corpora's form,
  see ../shared/corpora/README.md);
- `NAME.html` + `NAME.gold.txt` (+ `NAME.json` with url, source, boilerplate): our own
  `tests/fixtures/pages`, scored with each page's source rules.
Without DIR, `tests/fixtures/pages`.

The scorer is the one the peers use (AEB style): the text and the gold lower-cased and cut
into word 4-gram shingles; precision, recall and F1 per page, averaged over pages. A page
an extractor returns nothing for scores 0. Each corpus prints one table (mean P/R/F1,
perfect pages, pages with a repeated gold paragraph, refusals by reason) and the pages
where kgnews loses most against bare trafilatura.
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import trafilatura

from crawler.extract.corpus import GoldPage, load_corpus
from crawler.extract.decode import decode_html
from crawler.extract.errors import NoArticle
from crawler.extract.evaluate import Score, score
from crawler.extract.pipeline import extract_article
from crawler.extract.rules import NO_RULES, ExtractionRules
from crawler.sources.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRS = [ROOT / "tests" / "fixtures" / "pages"]
PERFECT = 0.99


def _readability() -> Callable[[bytes], list[str]] | None:
    try:
        from lxml.html import fromstring
        from readability import Document  # type: ignore[import-not-found]
    except ImportError:
        return None

    logging.getLogger("readability").setLevel(logging.CRITICAL)

    def extract(html: bytes) -> list[str]:
        try:  # given text: this version of readability-lxml reads no bytes
            summary = Document(decode_html(html)[0]).summary(html_partial=True)
        except Exception:
            return []
        if not summary.strip():
            return []
        tree = fromstring(summary)
        blocks = tree.xpath("//p|//h1|//h2|//h3|//h4|//li|//pre|//blockquote|//td")
        texts = [" ".join(b.text_content().split()) for b in blocks]
        texts = [t for t in texts if t]
        return texts or [" ".join(tree.text_content().split())]

    return extract


_REASON = re.compile(r"\d+(?:\.\d+)?%?")


def _reason(message: str) -> str:
    """A refusal's reason without its numbers, so that like counts with like."""
    return _REASON.sub("N", message)


@dataclass(frozen=True)
class Outcome:
    name: str
    scores: dict[str, Score]
    refusal: str | None


@cache
def _rules_by_source() -> dict[str, ExtractionRules]:
    """The shipped sources' rules, read once per process."""
    registry = load_registry()
    return {key: registry.get(key).rules for key in registry.source_keys()}


def _rules(page: GoldPage) -> ExtractionRules:
    return _rules_by_source().get(page.source or "", NO_RULES)


def _run(page: GoldPage) -> Outcome:
    refusal = None
    try:
        ours = list(extract_article(page.html, page.url, _rules(page)).paragraphs)
    except NoArticle as exc:
        ours, refusal = [], _reason(str(exc))
    text = trafilatura.extract(page.html, url=page.url) or ""
    outputs = {"kgnews": ours, "trafilatura": [t for t in text.splitlines() if t.strip()]}
    readability = _readability()
    if readability is not None:
        outputs["readability"] = readability(page.html)
    scores = {name: score(out, page.gold, page.boilerplate) for name, out in outputs.items()}
    return Outcome(page.name, scores, refusal)


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def report(title: str, outcomes: list[Outcome], worst: int) -> None:
    names = list(outcomes[0].scores)
    print(f"\n## {title}: {len(outcomes)} pages\n")
    print("| extractor | P | R | F1 | perfect (F1 ≥ 0.99) | pages with a repeat | empty |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        scores = [o.scores[name] for o in outcomes]
        print(
            f"| {name} | {_mean([s.precision for s in scores]):.3f} "
            f"| {_mean([s.recall for s in scores]):.3f} | {_mean([s.f1 for s in scores]):.3f} "
            f"| {sum(s.f1 >= PERFECT for s in scores)} | {sum(s.twice > 0 for s in scores)} "
            f"| {sum(s.output_shingles == 0 for s in scores)} |"
        )
    refusals = Counter(o.refusal for o in outcomes if o.refusal)
    print(f"\nkgnews refusals: {sum(refusals.values())}")
    for reason, count in refusals.most_common():
        print(f"  {count:4d}  {reason}")
    losses = sorted(outcomes, key=lambda o: o.scores["kgnews"].f1 - o.scores["trafilatura"].f1)[
        :worst
    ]
    print("\npages where kgnews loses most against trafilatura (F1 kgnews / trafilatura):")
    for o in losses:
        ours, bare = o.scores["kgnews"], o.scores["trafilatura"]
        if ours.f1 >= bare.f1:
            break
        print(
            f"  {o.name}: {ours.f1:.3f} / {bare.f1:.3f}  "
            f"(P {ours.precision:.2f}/{bare.precision:.2f}, R {ours.recall:.2f}/{bare.recall:.2f})"
            + (f"  refused: {o.refusal}" if o.refusal else "")
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--worst", type=int, default=10, help="losing pages to list")
    args = parser.parse_args()
    print(
        "readability-lxml: "
        + ("scored" if _readability() is not None else "not installed, not scored")
    )
    for directory in args.dirs:
        pages = load_corpus(directory)
        if not pages:
            print(f"{directory}: no pages with a gold body", file=sys.stderr)
            return 2
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            outcomes = list(pool.map(_run, pages, chunksize=4))
        report(str(directory), outcomes, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
