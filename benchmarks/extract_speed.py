"""Pages per second: the whole kgnews extraction pipeline beside bare trafilatura.

Run: .venv/bin/python benchmarks/extract_speed.py [--rounds N] [DIR ...]

Both run on the same pages in the same process, taking turns page by page, so the
machine's noise hits both alike; the figure that matters is the ratio (kgnews pages/s ÷
trafilatura pages/s) over all rounds. Whoever goes second on a page runs a little
faster (its bytes are warm), so each goes first in half the rounds.
kgnews runs as the crawler runs it: decoding, metadata, clean-up, trafilatura,
de-duplication, normalisation and language id, with each page's source rules.
Bare trafilatura is `trafilatura.extract(html)` with its defaults.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import suppress
from pathlib import Path

import trafilatura

from crawler.extract.corpus import GoldPage, load_corpus
from crawler.extract.errors import NoArticle
from crawler.extract.pipeline import extract_article
from crawler.extract.rules import NO_RULES, ExtractionRules
from crawler.sources.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRS = [ROOT / "tests" / "fixtures" / "pages"]


def run_ours(page: GoldPage, rules: ExtractionRules) -> float:
    start = time.perf_counter()
    with suppress(NoArticle):
        extract_article(page.html, page.url, rules)
    return time.perf_counter() - start


def run_bare(page: GoldPage, _rules: ExtractionRules) -> float:
    start = time.perf_counter()
    trafilatura.extract(page.html, url=page.url)
    return time.perf_counter() - start


def one_round(
    pages: list[tuple[GoldPage, ExtractionRules]], ours_first: bool
) -> tuple[float, float]:
    """Seconds for all pages, kgnews and bare trafilatura, taking turns page by page (so a
    burst of load on the machine hits both alike)."""
    ours = bare = 0.0
    for page, rules in pages:
        if ours_first:
            ours += run_ours(page, rules)
            bare += run_bare(page, rules)
        else:
            bare += run_bare(page, rules)
            ours += run_ours(page, rules)
    return ours, bare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    parser.add_argument("--rounds", type=int, default=4, help="an even number (default 4)")
    args = parser.parse_args()
    registry = load_registry()
    known = set(registry.source_keys())
    pages = [
        (page, registry.get(page.source).rules if page.source in known else NO_RULES)
        for directory in args.dirs
        for page in load_corpus(directory)
    ]
    if not pages:
        print("no pages found", file=sys.stderr)
        return 2
    one_round(pages[:3], ours_first=True)  # warm-up: imports, the language model
    rounds = args.rounds + args.rounds % 2  # as many rounds with each going first
    ratios, ours_total, bare_total = [], 0.0, 0.0
    for number in range(rounds):
        ours, bare = one_round(pages, ours_first=number % 2 == 0)
        ratios.append(bare / ours)
        ours_total += ours
        bare_total += bare
    kib = sum(len(page.html) for page, _ in pages) / 1024
    print(f"{len(pages)} pages, {kib:.0f} KiB, {rounds} rounds")
    print(f"kgnews pipeline:  {rounds * len(pages) / ours_total:7.1f} pages/s")
    print(f"bare trafilatura: {rounds * len(pages) / bare_total:7.1f} pages/s")
    print(
        f"ratio kgnews/trafilatura: {bare_total / ours_total:.2f} over all rounds "
        f"(rounds from {min(ratios):.2f} to {max(ratios):.2f}); target >= 0.90"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
