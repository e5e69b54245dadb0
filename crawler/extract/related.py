""" "Read also" boxes inside an article body, found without a source's selectors.

News sites put links to their other stories in the middle of the text: "Окуңуз:",
"Ошондой эле окуңуз", "Дагы окуңуз", "Читайте также", "Read more". Such a box is
a cue followed by links, and is mostly links: the cue and its links go, in any
source. A paragraph that merely begins with the word ("Окуңуз, бул…" as prose) is
not link-dominated and stays.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_CUE = re.compile(
    r"^\W*(?:"
    r"(?:ошондой\s+эле\s+|дагы\s+|кошумча\s+)?окуңуз|окуй\s+жүрүңүз|тиешелүү\s+кабарлар|"
    r"(?:читайте|смотрите)(?:\s+также)?|также\s+читайте|по\s+теме|"
    r"(?:read|see)\s+(?:also|more)|related(?:\s+(?:stories|articles|news))?|more\s+on\s+this"
    r")\b\W*",
    re.IGNORECASE,
)
_CANDIDATE_TAGS = {"p", "div", "aside", "section", "ul", "ol", "h2", "h3", "h4", "h5", "h6"}
MAX_CUE_WORDS = 5  # a cue on its own ("Окуңуз:") heads the links that follow it
MAX_FOLLOWING = 6  # link blocks after a lone cue that belong to its box
MIN_LINK_SHARE = 0.5


def drop_read_also(root: HtmlElement) -> None:
    """Remove every read-also box under `root`, in place."""
    for element in list(root.iter(*_CANDIDATE_TAGS)):
        if element.getparent() is None or not _attached(element, root):
            continue
        text = " ".join(element.text_content().split())
        cue = _CUE.match(text)
        if cue is None:
            continue
        if _link_share(element, len("".join(cue.group().split()))) >= MIN_LINK_SHARE or (
            len(text.split()) <= MAX_CUE_WORDS and _drop_following_links(element)
        ):
            element.drop_tree()


def _attached(element: HtmlElement, root: HtmlElement) -> bool:
    return any(ancestor is root for ancestor in element.iterancestors()) or element is root


def _link_share(element: HtmlElement, cue_chars: int) -> float:
    """The share of the element's text after its cue that sits in links."""
    total = len("".join(element.text_content().split())) - cue_chars
    if total <= 0:
        return 0.0
    linked = sum(len("".join(a.text_content().split())) for a in element.iter("a"))
    return min(1.0, linked / total)


def _drop_following_links(cue: HtmlElement) -> bool:
    """Drop the link-dominated siblings straight after a lone cue; True if there were any."""
    dropped = 0
    sibling = cue.getnext()
    while sibling is not None and dropped < MAX_FOLLOWING:
        following = sibling.getnext()
        if not isinstance(sibling.tag, str) or _link_share(sibling, 0) < MIN_LINK_SHARE:
            break
        sibling.drop_tree()
        dropped += 1
        sibling = following
    return dropped > 0
