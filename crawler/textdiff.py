"""Word-level differences between two versions of an article. Pure functions.

Paragraphs are aligned first; a paragraph that changed is compared word by word;
paragraphs that did not change are not reported at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Kind = Literal["same", "removed", "added"]


@dataclass(frozen=True, slots=True)
class Segment:
    kind: Kind
    text: str


@dataclass(frozen=True, slots=True)
class ParagraphChange:
    old_number: int | None
    """1-based paragraph number in the older version (None: the paragraph is new)."""
    new_number: int | None
    segments: list[Segment]


def diff_words(old: str, new: str) -> list[Segment]:
    """`old` → `new` as runs of kept, removed and added words."""
    a, b = old.split(), new.split()
    if not a or not b:  # (what the matcher says too, without its index of every word)
        return [Segment("added" if b else "removed", " ".join(b or a))] if a or b else []
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(Segment("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            segments.append(Segment("added", " ".join(b[j1:j2])))
    return segments


def diff_paragraphs(
    old: list[str], new: list[str], *, keep_same: bool = False
) -> list[ParagraphChange]:
    """The paragraphs that changed, were removed or were added, in reading order; with
    `keep_same`, the unchanged ones too (one "same" segment each): the whole text."""
    changes: list[ParagraphChange] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            if keep_same:
                changes.extend(
                    ParagraphChange(i + 1, j + 1, [Segment("same", new[j])])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
            continue
        pairs = max(i2 - i1, j2 - j1)
        for k in range(pairs):
            i, j = i1 + k, j1 + k
            before = old[i] if i < i2 else ""
            after = new[j] if j < j2 else ""
            changes.append(
                ParagraphChange(
                    i + 1 if i < i2 else None,
                    j + 1 if j < j2 else None,
                    diff_words(before, after),
                )
            )
    return changes


def chars_changed(old: str, new: str) -> tuple[int, int]:
    """(characters added, characters removed) from `old` to `new`, counting the words
    that a word-level diff adds and removes (spaces between them included)."""
    return _changed(old, new, len)


def words_changed(old: str, new: str) -> tuple[int, int]:
    """(words added, words removed) from `old` to `new`."""
    return _changed(old, new, lambda text: len(text.split()))


def _changed(old: str, new: str, size: Callable[[str], int]) -> tuple[int, int]:
    """(size added, size removed) over the segments of a word-level diff."""
    added = removed = 0
    for segment in diff_words(old, new):
        if segment.kind == "added":
            added += size(segment.text)
        elif segment.kind == "removed":
            removed += size(segment.text)
    return added, removed
