"""Stage 3: trafilatura finds the main text; we read its blocks in order.

Settings are fixed here, per call: no deduplication cache (trafilatura's is one
cache for the whole process, so a page's text would depend on the pages before
it), no metadata (read by crawler.extract.metadata), no comments, tables kept.
Each paragraph, heading, list item, quote and table row becomes one block;
a line break inside a paragraph starts a new block, as in trafilatura's own text.
"""

from __future__ import annotations

from configparser import ConfigParser

import trafilatura
from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.settings import use_config

_BLOCK_TAGS = {"p", "head", "item", "quote", "code", "list", "table", "row", "div", "section"}
_LINE_BREAK = "lb"

TRAFILATURA_VERSION: str = trafilatura.__version__


def _config() -> ConfigParser:
    config = use_config()  # a fresh copy of trafilatura's defaults, ours alone
    # A short news item is still an article: accept less text than trafilatura's defaults.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "100")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "20")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no signals: we bound the input instead
    return config


_CONFIG = _config()


SHORT_SHARE = 0.25
"""A first pick with less text than this share of the page's text asks a second opinion."""
SHORT_PICK = 5000
"""Letters (white space aside): a longer first pick is never second-guessed."""
SECOND_OPINION_WINS = 0.35
"""The second opinion is taken when the first pick is shorter than this share of it."""
_NOT_TEXT = ("script", "style", "noscript", "template")


def main_text_blocks(tree: HtmlElement, url: str | None = None) -> list[str]:
    """The main text of the page, one block per paragraph, heading, item or row.

    trafilatura runs favouring recall (a short news item is still an article). When
    that pick covers little of the page, trafilatura's balanced mode gives a second
    opinion (it compares with its readability and jusText fallbacks on its own terms),
    and wins when the first pick is a small part of it: a teaser box picked instead of
    the article.
    """
    blocks = _blocks(tree, url, favor_recall=True)
    length = _letters(blocks)
    if length < SHORT_PICK and length < SHORT_SHARE * _page_letters(tree):
        second = _blocks(tree, url, favor_recall=False)
        if length < SECOND_OPINION_WINS * _letters(second):
            return second
    return blocks


def _letters(blocks: list[str]) -> int:
    return sum(len("".join(block.split())) for block in blocks)


def _page_letters(tree: HtmlElement) -> int:
    """Characters other than white space in the page's text, scripts and styles aside."""
    body = tree.find("body")
    if body is None:
        return 0
    total = len("".join(body.text_content().split()))
    hidden = sum(len("".join((e.text or "").split())) for e in body.iter(*_NOT_TEXT))
    return total - hidden


def _blocks(tree: HtmlElement, url: str | None, favor_recall: bool) -> list[str]:
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=False,  # trafilatura's fallbacks: a short wrong first pick is recovered
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        deduplicate=False,
        favor_recall=favor_recall,
        config=_CONFIG,
    )
    body = getattr(document, "body", None)
    if body is None:
        return []
    blocks: list[str] = []
    _collect(body, blocks)
    return [block for block in (" ".join(b.split()) for b in blocks) if block]


def _collect(element: _Element, blocks: list[str]) -> None:
    """Append the blocks of `element` (a block-level element of trafilatura's XML)."""
    if element.tag == "row":
        cells = [" ".join("".join(cell.itertext()).split()) for cell in element]
        blocks.append(" | ".join(cell for cell in cells if cell))
        return
    current: list[str] = [element.text or ""]
    for child in element:
        if child.tag == _LINE_BREAK:
            blocks.append("".join(current))
            current = [child.tail or ""]
        elif child.tag in _BLOCK_TAGS:
            blocks.append("".join(current))
            _collect(child, blocks)
            current = [child.tail or ""]
        else:
            current.append(_inline_text(child))
            current.append(child.tail or "")
    blocks.append("".join(current))


def _inline_text(element: _Element) -> str:
    parts = [element.text or ""]
    for child in element:
        parts.append(" " if child.tag == _LINE_BREAK else _inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
