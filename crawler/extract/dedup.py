"""Stage 4: block de-duplication inside one page (or one text).

Blocks are compared by their match key (letters and digits, case-folded, look-alikes
folded), so spacing, punctuation and quotes never make two copies look different.

1. A sub-heading glued to the next word is split off: "АктауАктаудагы…" →
   "Актау" + "Актаудагы…" (a capitalised word run straight into a word that repeats it).
2. A block that is the concatenation of other blocks of the page is replaced by those
   finer blocks, in its reading order. What lies between them becomes blocks of its own
   (typically sub-headings that had no separator); a photo credit at the end is dropped.
   A block that is one text repeated ("X X") becomes X. Only sentence-sized pieces
   split a block, and they must cover most of it: "Psychotherapy & Medication" is not
   "Psychotherapy" + "& Medication", and a hyphen is never a seam ("Pre-Workout").
3. A repeat is dropped where it is a copy, not where the writer repeated a line:
   a long block written in sentences (a paragraph) is kept once, at its first place;
   any other only when it stutters (straight after its own first copy) or belongs to a
   run of blocks copied in order (a key-points box shown twice), and for a short run
   only if it occurs at most twice; a run of LONG_RUN blocks or more is the text
   copied whole (a page that renders its article once per screen size). A line that
   recurs through the page ("Eat every 2–3 hours" in each meal of a plan, a heading in
   each section, an item of a list on several days) is content. Near repeats count as
   repeats: the same text but for spacing or punctuation, or but for a trailing credit
   (the variant without the credit is kept). A long block in sentences contained whole
   in another kept block is a repeat too (a pull quote, a lead repeated in the first
   paragraph); a list item contained in a longer one is not.

Work is bounded: pages with more than MAX_BLOCKS blocks get exact repeats removed only.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from crawler.extract.normalize import keys_holding, match_key, normalize_paragraph

MAX_BLOCKS = 3000
MIN_PIECE = 20  # key characters: shorter blocks are never matched inside others
MIN_COVERAGE = 0.7  # share of a block its pieces must cover before it is split
LONG_REPEAT_CHARS = 40  # key characters and words (with a letter) from which a repeat is a
LONG_REPEAT_WORDS = 8  # copy wherever it stands; a shorter one only as a stutter or in a run
MAX_COPIES = 2  # a short line in a copied run is a copy if it occurs no more often than this
LONG_RUN = 10  # blocks: a run this long copied in order is a copy of the text, all of it
MIN_CONTAINED = 40  # key characters: shorter blocks are never dropped as "contained"
MIN_CONTAINED_WORDS = 5
_PREFIX = 6
_CREDIT = re.compile(
    r"(?:^|(?<=[\s.,;:!?)»\"]))[(\[]?\s*(?:©|(?:сүрөттүн булагы|сүрөт(?:тө|тер)?|фото(?:су)?|"
    r"видео|photo|булак|source)\s*[:.,-]).{0,80}$",
    re.IGNORECASE,
)
_CREDIT_CUES = ("©", "сүрөт", "фото", "видео", "photo", "булак", "source")  # one is in each credit
_CREDIT_REACH = 200  # characters from the end where a credit can begin (it ends the text)
_HYPHENS = "-‐‑"
_SENTENCE_END = re.compile(r"[.!?…]")
_OPENERS = "«“„‘([{\"'–—-"
_CLOSERS = ".,;:!?…)]}»”’\"'"


def _case_class(test: str) -> str:
    """A regex character class of the Basic Multilingual Plane's letters that pass `test`."""
    chars = [chr(c) for c in range(0x10000) if getattr(chr(c), test)()]
    return "[" + "".join(re.escape(c) for c in chars) + "]"


_ALNUM_RUN = re.compile(r"[^\W_]+")  # exactly the characters str.isalnum() accepts
_CASE_SEAM = re.compile(f"{_case_class('islower')}(?={_case_class('isupper')})")
_WIDE = re.compile("[\U00010000-\U0010ffff]")


_NOT_ALNUM = re.compile(r"[\W_]+")


class _Keyed:
    """A normalised text and its match key; `starts` are the key positions where a word
    starts (where a piece may begin or end), `spans` where each key character sits in the
    text. Both are worked out only for the blocks that need them."""

    __slots__ = ("__dict__", "key", "text")

    def __init__(self, text: str, key: str) -> None:
        self.text = text
        self.key = key

    @classmethod
    def of(cls, text: str) -> _Keyed:
        folded = text.casefold()
        if len(folded) != len(text) or _WIDE.search(text):
            return cls._by_character(text)[0]  # letters that fold to two, or beyond the BMP
        return cls(text, _NOT_ALNUM.sub("", text).casefold())  # alnum first, as the reference

    @cached_property
    def starts(self) -> tuple[int, ...]:
        """Word by word (regular expressions do the characters)."""
        text = self.text
        if len(text.casefold()) != len(text) or _WIDE.search(text):
            return self._by_character(text)[0].starts
        starts: list[int] = []
        seams = [seam.end() for seam in _CASE_SEAM.finditer(text)]  # rare: camel case
        length = 0
        for run in _ALNUM_RUN.finditer(text):
            at, end = run.span()
            if not (at >= 2 and text[at - 1] in _HYPHENS and text[at - 2].isalnum()):
                starts.append(length)  # a word starts, unless after "Pre-"
            if seams:
                starts.extend(length + seam - at for seam in seams if at < seam < end)
            length += end - at
        return tuple(starts)

    @classmethod
    def _by_character(cls, text: str) -> tuple[_Keyed, tuple[int, ...]]:
        """The key, word starts and spans, one character at a time (the reference)."""
        chars: list[str] = []
        spans: list[int] = []
        starts: list[int] = []
        previous = before = ""
        for index, char in enumerate(text):
            if not char.isalnum():
                before, previous = previous, char
                continue
            hyphenated = previous in _HYPHENS and before.isalnum()  # "Pre-Workout"
            if (not previous.isalnum() and not hyphenated) or (
                previous.islower() and char.isupper()
            ):
                starts.append(len(chars))
            before, previous = previous, char
            for part in char.casefold():
                chars.append(part)
                spans.append(index)
        keyed = cls(text, "".join(chars))
        keyed.__dict__["starts"] = tuple(starts)
        return keyed, tuple(spans)

    @cached_property
    def spans(self) -> tuple[int, ...]:
        return self._by_character(self.text)[1]

    def boundary(self, k: int) -> bool:
        """A word starts at key position k (or the text ends there): a piece may begin
        or end there. "…жатат.Актау" and "АктауАктаудагы" have one at the capital."""
        if k >= len(self.key):
            return True
        at = bisect_left(self.starts, k)
        return at < len(self.starts) and self.starts[at] == k

    def seam(self, k: int) -> bool:
        """One text may end and another begin at key position k: a word starts there
        with a capital ("…жатат.Актау", "АктауАктаудагы") or after a sentence's end.
        "Portion Fix Containers: 1 Purple, 1 Red" has none after "Purple"."""
        if k <= 0 or k >= len(self.key):
            return True
        if not self.boundary(k):
            return False
        at = self.spans[k]
        return self.text[at].isupper() or bool(
            _SENTENCE_END.search(self.text, self.spans[k - 1], at)
        )

    def slice(self, start: int, end: int) -> str:
        """The text from key position start up to key position end, trimmed of the
        punctuation that belongs to the neighbouring pieces."""
        left = 0 if start == 0 else self.spans[start - 1] + 1
        right = len(self.text) if end >= len(self.key) else self.spans[end]
        piece = self.text[left:right].strip()
        piece = piece.lstrip(_CLOSERS + " ") if start > 0 else piece
        return piece.rstrip(_OPENERS + " ") if end < len(self.key) else piece


def dedupe_blocks(blocks: Iterable[str]) -> list[str]:
    """The blocks of one page, each piece of text once, in reading order."""
    keyed: list[_Keyed] = []
    for block in blocks:
        for part in split_glued_headings(normalize_paragraph(block)):
            item = _Keyed.of(part)
            if item.key:
                keyed.append(item)
    if len(keyed) > MAX_BLOCKS:
        return _first_of_each(keyed)
    atoms = _decompose(keyed)
    sequence = [atom for block in keyed for atom in atoms[block.key]]
    atoms_kept = _drop_contained(_keep_first(sequence))
    return [
        atom.text
        for i, atom in enumerate(atoms_kept)
        if i == 0 or atoms_kept[i - 1].key != atom.key  # no stutter left by a dropped block
    ]


def _first_of_each(blocks: list[_Keyed]) -> list[str]:
    seen: set[str] = set()
    result = []
    for block in blocks:
        if block.key not in seen:
            seen.add(block.key)
            result.append(block.text)
    return result


MAX_CREDIT_CHARS = 120


def is_credit(text: str) -> bool:
    """A block that is only a photo or source credit ("© Sputnik / …", "Сүрөт: Азаттык")."""
    return len(text) <= MAX_CREDIT_CHARS and bool(_CREDIT.fullmatch(text.strip()))


# --- 1. glued sub-headings ---------------------------------------------------------

_LETTER_RUN = re.compile(r"[^\W\d_](?:[^\W\d_]|-(?=[^\W\d_]))*")


def split_glued_headings(text: str) -> list[str]:
    """Split "…жатат.АктауАктаудагы…" into "…жатат.", "Актау", "Актаудагы…"."""
    parts: list[str] = []
    while True:
        cut = _first_glue(text)
        if cut is None:
            return [*parts, text]
        start, end = cut
        before = text[:start].strip()
        parts.extend([*([before] if before else []), text[start:end]])
        text = text[end:]


def _first_glue(text: str) -> tuple[int, int] | None:
    """Where the first glued sub-heading stands in `text` (start, end), if one does."""
    seams = [seam.end() for seam in _CASE_SEAM.finditer(text)]
    done = 0  # the text up to here is settled
    for at in seams:  # a small letter straight before a capital, at `at`
        if at < done:
            continue
        # The word holding it: words never hold a space, so it starts after the last one.
        for run in _LETTER_RUN.finditer(text, text.rfind(" ", 0, at) + 1):
            if run.end() > at:
                break
        else:
            return None
        start, done = run.span()
        glue = _glue_in(run.group(0), [cut - start for cut in seams if start < cut < done])
        if glue is not None:
            return start, start + glue
    return None


def _glue_in(word: str, cuts: list[int]) -> int | None:
    """The first seam of `word` where a capitalised head is glued to a word repeating it."""
    for cut in cuts:
        if not 2 <= cut < len(word) - 1:
            continue
        head, tail = word[:cut], word[cut:]
        if not head[0].isupper():
            continue
        stem = head if len(head) < 5 else head[:-1]
        if tail.startswith(stem):
            return cut
    return None


# --- 2. concatenations -------------------------------------------------------------


class _Pieces:
    """Blocks seen so far, found by the key characters they start with."""

    def __init__(self) -> None:
        self._by_prefix: dict[str, list[str]] = {}

    def add(self, key: str) -> None:
        if len(key) < MIN_PIECE:
            return
        bucket = self._by_prefix.setdefault(key[:_PREFIX], [])
        bucket.append(key)
        bucket.sort(key=len, reverse=True)

    def longest_at(self, block: _Keyed, start: int) -> str | None:
        key = block.key
        for candidate in self._by_prefix.get(key[start : start + _PREFIX], ()):
            end = start + len(candidate)
            if key.startswith(candidate, start) and block.seam(start) and block.seam(end):
                return candidate
        return None


@dataclass(frozen=True, slots=True)
class _Atom:
    text: str
    key: str


def _decompose(blocks: list[_Keyed]) -> dict[str, list[_Atom]]:
    """Each distinct block, as the list of atoms it is made of (shortest blocks first,
    so a block's pieces are already decomposed when it is)."""
    first: dict[str, _Keyed] = {}
    for block in blocks:
        first.setdefault(block.key, block)
    pieces = _Pieces()
    holders = _holding_a_shorter_key(list(first))
    atoms: dict[str, list[_Atom]] = {}
    for key in sorted(first, key=len):
        block = first[key]
        atoms[key] = _split(block, pieces, atoms, key in holders) or [_Atom(block.text, key)]
        pieces.add(key)
    return atoms


def _holding_a_shorter_key(keys: list[str]) -> set[str]:
    """The keys in which another, shorter key of at least MIN_PIECE characters occurs
    (a cheap test before the word-by-word search)."""
    pieces = {key for key in keys if len(key) >= MIN_PIECE}
    return {
        keys[index] for piece, index in keys_holding(pieces, keys) if len(keys[index]) > len(piece)
    }


def _split(
    block: _Keyed, pieces: _Pieces, atoms: dict[str, list[_Atom]], holds_a_piece: bool
) -> list[_Atom] | None:
    key = block.key
    period = (key + key).find(key, 1)
    if period < len(key) and period >= MIN_PIECE and block.seam(period):  # "X X": one text twice
        half = block.slice(0, period)
        if _Keyed.of(half).key == key[:period]:  # (a letter that case-folds to two breaks the map)
            return [_Atom(half, key[:period])]
    if not holds_a_piece:
        return None
    segments: list[tuple[int, int, str | None]] = []  # (start, end, piece key or None for a gap)
    covered = gap_start = 0
    for position in block.starts:
        if position < gap_start:
            continue  # inside the piece just taken
        piece = pieces.longest_at(block, position)
        if piece is None:
            continue
        if gap_start < position:
            segments.append((gap_start, position, None))
        segments.append((position, position + len(piece), piece))
        covered += len(piece)
        gap_start = position + len(piece)
    if gap_start < len(key):
        segments.append((gap_start, len(key), None))
    if covered < MIN_COVERAGE * len(key) or len(segments) < 2:
        return None
    result: list[_Atom] = []
    for start, end, piece in segments:
        if piece is not None:
            result.extend(atoms[piece])
            continue
        text = block.slice(start, end)
        if end == len(key) and _CREDIT.fullmatch(text):
            continue  # "Сүрөт: …" at the end of a block: a credit, not text
        gap = _Keyed.of(text)
        if gap.key:
            result.append(_Atom(text, gap.key))
    return result


# --- 3. first occurrence of each ----------------------------------------------------


def _core_key(atom: _Atom) -> str:
    """The key without a trailing credit ("… Сүрөт: Азаттык")."""
    tail = atom.text[-_CREDIT_REACH:].casefold()
    if not any(cue in tail for cue in _CREDIT_CUES):
        return atom.key  # (a cheap test first: most blocks name no credit)
    match = _CREDIT.search(atom.text, max(0, len(atom.text) - _CREDIT_REACH))
    if match and match.start() > 0:
        return _Keyed.of(atom.text[: match.start()]).key or atom.key
    return atom.key


def is_long_block(text: str) -> bool:
    """Paragraph-sized: a repeat of it is a copy wherever it stands."""
    return _is_long(text, match_key(text))


def _is_long(text: str, key: str) -> bool:
    if len(key) < LONG_REPEAT_CHARS:
        return False
    words = sum(1 for word in text.split() if any(char.isalpha() for char in word))
    return words >= LONG_REPEAT_WORDS and _is_prose(text)


_ENDS_A_SENTENCE = re.compile(r"[.!?…:;][\s\"'»”’)\]]*$")
_SENTENCE_SEAM = re.compile(r"[.!?…]\s+([^\W\d_])")


def _is_prose(text: str) -> bool:
    """Written in sentences: it ends like one, or one sentence ends inside it and the next
    begins with a capital. An item of a list or a table ("1 cup spinach, 8 oz. almond milk
    (or water)") is not, and may well recur on purpose."""
    if _is_enumeration(text):
        return False
    if _ENDS_A_SENTENCE.search(text):
        return True
    return any(seam.group(1).isupper() for seam in _SENTENCE_SEAM.finditer(text))


_ITEM_SEPARATOR = re.compile(r"\s*[,;]\s*")
MIN_ITEMS = 3
MAX_ITEM_WORDS = 4  # every item: "1 Green, 1 Red, 1 tsp."; a sentence has a longer clause


def _is_enumeration(text: str) -> bool:
    """A list of short items, after an optional "Label:" ("Containers: 1 Green, 1 Red,
    1 Yellow, 1 tsp."), even when it ends with a full stop. A sentence that names a few
    places ("Бишкек, Ош, Нарын, Талас жана Баткен облустарынын өкүлдөрү катышты.") has a
    clause longer than any item."""
    items = [item for item in _ITEM_SEPARATOR.split(text.split(":", 1)[-1]) if item.strip()]
    return len(items) >= MIN_ITEMS and all(len(item.split()) <= MAX_ITEM_WORDS for item in items)


def _keep_first(atoms: list[_Atom]) -> list[_Atom]:
    cores = [_core_key(atom) for atom in atoms]
    first: dict[str, int] = {}
    for position, core in enumerate(cores):
        first.setdefault(core, position)
    counts = Counter(core for i, core in enumerate(cores) if i == 0 or cores[i - 1] != core)

    def copied_in_order(i: int) -> bool:
        """Atoms i and i+1 both repeat, and their first copies stand next to each other."""
        if i < 0 or i + 1 >= len(atoms):
            return False
        a, b = first[cores[i]], first[cores[i + 1]]
        return a < i and b < i + 1 and b == a + 1

    run = [0] * len(atoms)  # how many atoms the run copied in order through each one holds
    start = 0
    for i in range(len(atoms)):
        if not copied_in_order(i):  # atom i ends the run that began at `start`
            if i > start:
                run[start : i + 1] = [i + 1 - start] * (i + 1 - start)
            start = i + 1

    kept: list[_Atom] = []
    where: dict[str, int] = {}
    last_kept = ""  # the core of the last kept atom
    for i, (atom, core) in enumerate(zip(atoms, cores, strict=True)):
        index = where.get(core)
        is_copy = index is not None and (
            _is_long(atom.text, atom.key)
            or (i > 0 and cores[i - 1] == core)  # a stutter: "X", "X"
            or last_kept == core  # a stutter once what lay between is gone
            or (  # inside a run of blocks copied in order, once (a line of a template
                counts[core] <= MAX_COPIES  # that recurs through the page is content)
                and run[i] >= 2
            )
            or run[i] >= LONG_RUN
        )
        if index is None or not is_copy:
            where.setdefault(core, len(kept))
            kept.append(atom)
            last_kept = core
        elif len(atom.key) < len(kept[index].key):
            kept[index] = atom  # the same text without its credit
    return kept


def _drop_contained(atoms: list[_Atom]) -> list[_Atom]:
    # Over the distinct keys, the separator keeping a match inside one key: a key found
    # twice is found inside another, longer key (distinct keys of one length never are).
    joined = "\x00".join(dict.fromkeys(atom.key for atom in atoms))
    return [
        atom
        for atom in atoms
        if not (
            len(atom.key) >= MIN_CONTAINED
            and len(atom.text.split()) >= MIN_CONTAINED_WORDS
            and joined.count(atom.key) > 1
            and _is_prose(atom.text)
        )
    ]
