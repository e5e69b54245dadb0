""" "Read also" boxes inside an article body, found without a source's selectors.

News sites put links to their other stories in the middle of the text: "Окуңуз:",
"Ошондой эле окуңуз", "Дагы окуңуз", "Читайте также", "Read more". Such a box is a
cue with links after it, in the same block or in the blocks that follow, and is mostly
link text: the cue and its links go, in any source. A paragraph that merely begins
with the word ("Окуңуз, бул…" as prose) is not link text and stays.

"Most read" rails ("Көп окулгандар", "Самое читаемое", "Most read") are a heading with
other stories' headlines after it, their links often without text of their own (a
card, an image): a rail is told by its shape, headline after headline, none ended as a
sentence, up to the first paragraph of prose.

Read on the extracted blocks, beside the page's link texts (as match keys): a page
without a cue costs two regular expressions a block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from crawler.extract.normalize import keys_holding, match_key

_CUE = re.compile(
    r"^\W*(?:"
    r"(?:ошондой\s+эле\s+|дагы\s+|кошумча\s+)?окуңуз|окуй\s+жүрүңүз|тиешелүү\s+кабарлар|"
    r"(?:читайте|смотрите)(?:\s+также)?|также\s+читайте|по\s+теме|"
    r"(?:read|see)\s+(?:also|more)|related(?:\s+(?:stories|articles|news))?|more\s+on\s+this"
    r")\b\W*",
    re.IGNORECASE,
)
# "Most read" rails: a heading, then other stories' headlines (often with kickers), whose
# links may carry no text of their own (an image link, a card): told by their shape. The
# heading is the whole block ("Көп окулгандар", not "Эң көп окулган китептер", an
# article's own list), or an English rail heading with its section ("Most read in world
# news", "More from Sport").
_RAIL_CUE = re.compile(
    r"^\W*(?:"
    r"(?:(?:эң\s+)?көп\s+(?:окулгандар|каралгандар)|"
    r"самое\s+(?:читаемое|популярное)|популярное|читаемое|"
    r"вам\s+(?:также\s+)?(?:может\s+быть\s+интересно|может\s+понравиться)|"
    r"you\s+may\s+(?:also\s+)?like|"
    r"recommended(?:\s+(?:for\s+you|stories|articles|reading|news))?)\W*$|"
    r"(?:most\s+(?:read|popular|viewed|shared)|trending|popular\s+(?:now|on)|more\s+from)\b"
    r")",
    re.IGNORECASE,
)
MIN_RAIL_WORDS = 3  # words a rail's blocks hold on average: headlines, not a list of names
MAX_RAIL = 16  # headline blocks (kickers included) a rail holds at most
MAX_HEADLINE_WORDS = 20
_ENDS_A_SENTENCE = re.compile(r"[.!…:;][\s\"'»”’)\]]*$")  # (a headline may ask a question)
MAX_CUE_WORDS = 5  # a cue on its own ("Окуңуз:") heads the links that follow it
MAX_FOLLOWING = 6  # link blocks after a lone cue that belong to its box
MIN_LINK_SHARE = 0.5


def without_read_also(blocks: list[str], links: Callable[[], Collection[str]]) -> list[str]:
    """The blocks without read-also boxes; `links` gives the page's link texts' keys."""
    if not any(_CUE.match(block) or _RAIL_CUE.match(block) for block in blocks):
        return blocks
    linked = links()
    kept: list[str] = []
    i = 0
    while i < len(blocks):
        box = _box_length(blocks, i, linked) or _rail_length(blocks, i)
        if box:
            i += box
        else:
            kept.append(blocks[i])
            i += 1
    return kept


def _box_length(blocks: list[str], i: int, linked: Collection[str]) -> int:
    """How many blocks from i on are a read-also box (0: none starts there)."""
    cue = _CUE.match(blocks[i])
    if cue is None:
        return 0
    rest = blocks[i][cue.end() :]
    whole = not match_key(rest) or is_link_text(rest, linked)  # "Окуңуз: <a>…</a>"
    if not whole and len(blocks[i].split()) > MAX_CUE_WORDS:
        return 0  # prose that starts with the word
    end = i + 1
    while end < min(len(blocks), i + 1 + MAX_FOLLOWING) and is_link_text(blocks[end], linked):
        end += 1  # the links under the cue
    return end - i if whole or end > i + 1 else 0


def _rail_length(blocks: list[str], i: int) -> int:
    """How many blocks from i on are a "most read" rail: the cue as a heading (alone, as
    what is left of a rail whose cards were dropped, or with a few words: "Most read in
    world news") and the headlines after it (short, not ended as a sentence), up to the
    first block of prose. 0: none starts there."""
    cue = _RAIL_CUE.match(blocks[i])
    if cue is None or len(blocks[i].split()) > MAX_CUE_WORDS + 1:
        return 0
    end = i + 1
    while end < min(len(blocks), i + 1 + MAX_RAIL) and _is_headline(blocks[end]):
        end += 1
    if end == i + 1:  # the cue alone: a heading of nothing but the cue goes
        return 1 if cue.end() == len(blocks[i]) else 0
    words = sum(len(block.split()) for block in blocks[i + 1 : end])
    return end - i if end - i >= 3 and words >= MIN_RAIL_WORDS * (end - i - 1) else 0


def _is_headline(text: str) -> bool:
    return len(text.split()) <= MAX_HEADLINE_WORDS and not _ENDS_A_SENTENCE.search(text)


def is_link_text(text: str, links: Collection[str]) -> bool:
    """Most of `text` is link text of the page."""
    key = match_key(text)
    return bool(key) and linked_chars(key, links) >= MIN_LINK_SHARE * len(key)


MIN_LINK_INSIDE = 6  # key characters: a shorter link text counts only as a whole block


def linked_chars(key: str, links: Collection[str]) -> int:
    """How much of a block's key is link text: the whole block, or each distinct link of
    some length found in it once ("все", "2024" would match inside ordinary words)."""
    if key in links:
        return len(key)
    inside = sum(len(link) for link in links if len(link) >= MIN_LINK_INSIDE and link in key)
    return min(len(key), inside)


def linked_chars_each(keys: list[str], links: Collection[str]) -> list[int]:
    """`linked_chars` of each key, with each link looked for once in all the keys."""
    inside = [0] * len(keys)
    for link, index in keys_holding((k for k in links if len(k) >= MIN_LINK_INSIDE), keys):
        inside[index] += len(link)
    return [
        len(key) if key in links else min(len(key), chars)
        for key, chars in zip(keys, inside, strict=True)
    ]
