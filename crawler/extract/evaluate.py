"""Scoring an extracted body against a gold body.

- found: gold paragraphs whose text occurs in the output (as a match key, so spacing,
  punctuation and look-alike letters do not count; a glued paragraph still counts)
  at least as often as in the gold itself (a short sub-heading may also occur inside
  other paragraphs);
- twice: gold paragraphs that occur more often than in the gold (repeated);
- leaked: boilerplate strings (related news titles, captions…) that occur in the output;
- precision, recall, F1 over 4-token shingles counted with multiplicity, so a repeated
  paragraph costs precision and a missing one costs recall.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.extract.normalize import match_key, normalize_text

SHINGLE = 4
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Score:
    gold: int
    found: int
    twice: int
    leaked: int
    overlap: int
    output_shingles: int
    gold_shingles: int

    @property
    def precision(self) -> float:
        return self.overlap / self.output_shingles if self.output_shingles else 0.0

    @property
    def recall(self) -> float:
        return self.overlap / self.gold_shingles if self.gold_shingles else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.gold + other.gold,
            self.found + other.found,
            self.twice + other.twice,
            self.leaked + other.leaked,
            self.overlap + other.overlap,
            self.output_shingles + other.output_shingles,
            self.gold_shingles + other.gold_shingles,
        )


ZERO = Score(0, 0, 0, 0, 0, 0, 0)


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(normalize_text(text).casefold())
    if len(tokens) < SHINGLE:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def _occurrences(needle: str, haystack: str) -> int:
    return haystack.count(needle) if needle else 0


def score(output: Sequence[str], gold: Sequence[str], boilerplate: Sequence[str] = ()) -> Score:
    """How well `output` (paragraphs) matches `gold` (paragraphs)."""
    output_key = "\n".join(match_key(p) for p in output)
    gold_key = "\n".join(match_key(p) for p in gold)
    counts = [
        (_occurrences(match_key(line), output_key), _occurrences(match_key(line), gold_key))
        for line in gold
        if match_key(line)
    ]
    leaked = sum(1 for text in boilerplate if match_key(text) and match_key(text) in output_key)
    out, want = shingles("\n".join(output)), shingles("\n".join(gold))
    return Score(
        gold=len(counts),
        found=sum(1 for got, want in counts if got >= want),
        twice=sum(1 for got, want in counts if got > want),
        leaked=leaked,
        overlap=sum((out & want).values()),
        output_shingles=sum(out.values()),
        gold_shingles=sum(want.values()),
    )
