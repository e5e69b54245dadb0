"""How kgnews's Kyrgyz word matching compares with the `kyrgyz` inflection package.

Run: .venv/bin/pip install kyrgyz && .venv/bin/python benchmarks/word_forms.py

On the hand-made word/form list of the search tests (tests/fixtures/search/word_forms.tsv,
read as data), for each approach: recall (the share of forms a search for the word would
find) and the time to work out what one word matches, per 1,000 words, taking turns
round by round so that the machine's noise hits both alike. `kyrgyz` generates the six
case forms of a word; kgnews matches the start of a word (`crawler.store.wordforms`).
`kyrgyz-morph-tagger` is not measured: it needs torch and a model downloaded from the
Hugging Face Hub at run time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from crawler.store.wordforms import forms

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "search" / "word_forms.tsv"


def ours(word: str) -> Callable[[str], bool]:
    matched = forms(word.casefold())
    if matched.prefix:
        return lambda form: form.startswith(matched.stems)
    return lambda form: form in matched.stems


def theirs(word: str) -> Callable[[str], bool]:
    from kyrgyz import inflect
    from kyrgyz.cases import Case

    generated = {inflect(word, case=case).casefold() for case in Case}
    return lambda form: form in generated


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    try:
        import kyrgyz  # noqa: F401
    except ImportError:
        print("the comparison needs the kyrgyz package: pip install kyrgyz", file=sys.stderr)
        return 2
    pairs = [
        line.split("\t")[:2]
        for line in PAIRS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    words = [word for word, _ in pairs] * (1000 // len(pairs) + 1)
    words = words[:1000]
    approaches = {"kgnews prefix+alternations": ours, "kyrgyz (6 case forms)": theirs}
    timings: dict[str, list[float]] = {name: [] for name in approaches}
    for round_ in range(args.rounds):
        order = list(approaches.items())
        for name, matcher in order if round_ % 2 == 0 else reversed(order):
            start = time.perf_counter()
            for word in words:
                matcher(word)
            timings[name].append((time.perf_counter() - start) * 1000)
    print(f"{len(pairs)} word/form pairs; {args.rounds} rounds of 1,000 words")
    print(f"{'approach':30} {'recall':>7} {'ms/1000 words':>14}  missed")
    for name, matcher in approaches.items():
        missed = [form for word, form in pairs if not matcher(word)(form.casefold())]
        recall = 1 - len(missed) / len(pairs)
        ms = statistics.median(timings[name])
        print(f"{name:30} {recall:7.0%} {ms:14.2f}  {', '.join(missed[:12])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
