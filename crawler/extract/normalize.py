"""Kyrgyz text normalisation: the form in which text is stored and compared.

- Unicode NFC;
- no-break and other odd spaces become a plain space, zero-width characters
  and soft hyphens go, runs of spaces collapse;
- look-alike letters are folded to the Kyrgyz Cyrillic letter, but only inside
  words that are Cyrillic: ӊ/ӈ/ҥ/ŋ → ң, ѳ/ӧ/ö/ɵ → ө, ӱ/ü → ү, and Latin or Greek
  capitals and small letters that look like Cyrillic ones (M, A, T, o, y, Υ…).
  A word of Latin letters ("Qazaqstan.tv", "Özgür") is left alone, and so is
  a mixed word that has a Latin letter with no Cyrillic twin ("iPhoneдун").

Pure functions only; the raw page is kept elsewhere, untouched.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate

# Characters that render as a space.
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" + (
    "\u202f\u205f\u3000\t\v\f"
)
# Characters that render as nothing at all.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SPACE_TABLE = {ord(c): " " for c in _SPACES} | {ord(c): None for c in _INVISIBLE}
_ODD_SPACE = re.compile("[" + re.escape("".join(_SPACES) + "".join(_INVISIBLE)) + "]")

# Kyrgyz letters written with a letter of another alphabet or language.
_KYRGYZ_LOOKALIKES = {
    "ӊ": "ң",
    "Ӊ": "Ң",
    "ӈ": "ң",
    "Ӈ": "Ң",
    "ҥ": "ң",
    "Ҥ": "Ң",
    "ŋ": "ң",
    "Ŋ": "Ң",
    "ѳ": "ө",
    "Ѳ": "Ө",
    "ӧ": "ө",
    "Ӧ": "Ө",
    "ö": "ө",
    "Ö": "Ө",
    "ɵ": "ө",
    "Ɵ": "Ө",
    "ӱ": "ү",
    "Ӱ": "Ү",
    "ü": "ү",
    "Ü": "Ү",
}
# Latin and Greek letters that look like a Cyrillic one. Capital Y is drawn like
# Kyrgyz Ү (straight), small y like Cyrillic у; Greek Υ stands for Ү in the wild.
_SCRIPT_LOOKALIKES = {
    "A": "А",
    "B": "В",
    "C": "С",
    "E": "Е",
    "H": "Н",
    "K": "К",
    "M": "М",
    "O": "О",
    "P": "Р",
    "T": "Т",
    "X": "Х",
    "Y": "Ү",
    "a": "а",
    "c": "с",
    "e": "е",
    "o": "о",
    "p": "р",
    "x": "х",
    "y": "у",
    "Α": "А",
    "Β": "В",
    "Ε": "Е",
    "Η": "Н",
    "Κ": "К",
    "Μ": "М",
    "Ο": "О",
    "Ρ": "Р",
    "Τ": "Т",
    "Χ": "Х",
    "Υ": "Ү",
    "ο": "о",
}
LOOKALIKES: dict[str, str] = _KYRGYZ_LOOKALIKES | _SCRIPT_LOOKALIKES
_LOOKALIKE_TABLE = str.maketrans(LOOKALIKES)

_WORD = re.compile(r"[^\W\d_]+")
_RUNS_OF_SPACE = re.compile(r" {2,}")


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u052f"


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    has_cyrillic = False
    for char in word:
        if char in LOOKALIKES:
            continue
        if _is_cyrillic(char):
            has_cyrillic = True
        elif char.isalpha():
            return word  # a letter of another alphabet with no Cyrillic twin: not ours to fold
    return word.translate(_LOOKALIKE_TABLE) if has_cyrillic else word


_KYRGYZ_LOOKALIKE_CHARS = "".join(_KYRGYZ_LOOKALIKES)
_SCRIPT_LOOKALIKE_CHARS = "".join(_SCRIPT_LOOKALIKES)
# A cheap test for "some word may need folding": a Cyrillic-only look-alike, or a Latin or
# Greek look-alike touching a Cyrillic letter.
_MAY_FOLD = re.compile(
    f"[{_KYRGYZ_LOOKALIKE_CHARS}]"
    f"|[\u0400-\u052f][{_SCRIPT_LOOKALIKE_CHARS}]|[{_SCRIPT_LOOKALIKE_CHARS}][\u0400-\u052f]"
)


def fold_lookalikes(text: str) -> str:
    """Replace look-alike letters inside Cyrillic words by the Kyrgyz Cyrillic letter."""
    if text.isascii() or not _MAY_FOLD.search(text):  # (no Cyrillic letter: nothing to fold)
        return text
    return _WORD.sub(_fold_word, text)


def normalize_spaces(text: str) -> str:
    """Odd spaces to a plain space, invisible characters removed, runs collapsed, stripped.

    Newlines are kept: callers decide what a line means.
    """
    if _ODD_SPACE.search(text):  # (translate is slow on non-ASCII text: only when needed)
        text = text.translate(_SPACE_TABLE)
    lines = (
        (_RUNS_OF_SPACE.sub(" ", line) if "  " in line else line).strip()
        for line in text.split("\n")
    )
    return "\n".join(lines)


def normalize_text(text: str) -> str:
    """The stored form of a piece of text: NFC, clean spaces, look-alikes folded."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return fold_lookalikes(normalize_spaces(text))


def normalize_paragraph(text: str) -> str:
    """One paragraph on one line: like normalize_text, with every newline a space."""
    return " ".join(normalize_text(text).split())


def match_key(text: str) -> str:
    """What two texts must share to be "the same": letters and digits, case-folded.

    Spacing, punctuation, quotes and look-alike letters do not count.
    """
    return _NOT_ALNUM.sub("", normalize_text(text).casefold())


_NOT_ALNUM = re.compile(r"[\W_]+")  # what str.isalnum() refuses


def keys_holding(needles: Iterable[str], keys: Sequence[str]) -> Iterator[tuple[str, int]]:
    """(needle, index) for each of `keys` that holds the needle, each key once per needle.

    All keys are strung together and each needle looked for once along them, not in
    each key (a page has hundreds of blocks and links). Match keys hold letters and
    digits only, so the "\n" between them is in none and no match spans two.
    """
    joined = "\n".join(keys)
    starts = list(accumulate((len(key) + 1 for key in keys), initial=0))
    for needle in needles:
        at = joined.find(needle)
        while at != -1:
            index = bisect_right(starts, at) - 1
            yield needle, index
            at = joined.find(needle, starts[index + 1])  # that key is settled: on to the next
