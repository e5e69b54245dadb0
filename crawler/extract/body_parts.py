"""An article body split into parts, made one again.

Some sites cut the body into several containers of the same kind, with ads, embeds
or newsletter boxes between them (`div.body__container` × 4). trafilatura picks one
container and loses the rest of the article. Where a page has two or more containers
with the same tag and class, each holding paragraphs of prose, the later parts are
moved into the first, in reading order, before trafilatura reads the page.

A list of teasers is not a split body: a part must hold at least MIN_PROSE paragraphs
of MIN_PROSE_CHARS or more. Nor is a body whose parts have headings or prose between
them (sections of one text, product cards between paragraphs): moved together, those
would come out of reading order.
"""

from __future__ import annotations

from itertools import pairwise

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.tree import outermost

MIN_PROSE = 2
MIN_PROSE_CHARS = 80
# Containers with a class and two <p> children at least, in document order.
_CANDIDATES = etree.XPath("//*[self::div or self::section or self::article][@class][p[2]]")


def merge_body_parts(root: HtmlElement) -> None:
    """Move the later parts of a split body into its first part, in place."""
    groups: dict[tuple[str, str], list[HtmlElement]] = {}
    for element in _CANDIDATES(root):
        classes = element.get("class")
        if classes and _prose_children(element) >= MIN_PROSE:
            groups.setdefault((str(element.tag), " ".join(sorted(classes.split()))), []).append(
                element
            )
    elements: list[HtmlElement] = []
    for parts in groups.values():
        parts = outermost(parts)
        if len(parts) < 2:
            continue
        elements = elements or list(root.iter())  # document order, read again after a merge
        if _text_between(parts, elements):
            continue
        first = parts[0]
        for part in parts[1:]:
            _append_text(first, part.text)
            part.text = None
            for child in list(part):
                first.append(child)
            part.drop_tree()
        elements = []


def _append_text(element: HtmlElement, text: str | None) -> None:
    """Put `text` at the end of `element`'s content."""
    if not text:
        return
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


def _prose_children(element: HtmlElement) -> int:
    paragraphs = element.findall("p")
    if len(paragraphs) < MIN_PROSE:
        return 0
    return sum(1 for p in paragraphs if len(" ".join(p.text_content().split())) >= MIN_PROSE_CHARS)


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _text_between(parts: list[HtmlElement], elements: list[HtmlElement]) -> bool:
    """Headings or prose paragraphs between the parts, outside all of them."""
    order = {id(element): index for index, element in enumerate(elements)}
    spans = [(order[id(part)], order[id(part)] + sum(1 for _ in part.iter())) for part in parts]
    for (_, end), (start, _) in pairwise(spans):
        for element in elements[end:start]:
            if element.tag not in _HEADINGS and element.tag != "p":
                continue
            text = " ".join(element.text_content().split())
            if (element.tag in _HEADINGS and text) or len(text) >= MIN_PROSE_CHARS:
                return True
    return False
