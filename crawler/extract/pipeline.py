"""The extraction pipeline: page bytes + URL + source rules → Article.

decode → parse → metadata → HTML clean-up → trafilatura → read-also boxes → block de-duplication →
Kyrgyz normalisation → language. Pure: the same bytes give the same Article in any
process and any order. Work is bounded by the input size and element count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from lxml import etree
from lxml.html import HtmlElement

from crawler import __version__
from crawler.extract.article import Article
from crawler.extract.blocks import TRAFILATURA_VERSION, main_text_blocks
from crawler.extract.decode import decode_html
from crawler.extract.dedup import dedupe_blocks, is_credit
from crawler.extract.errors import NoArticle
from crawler.extract.html_cleanup import MAX_DEPTH, clean_page, link_keys, parse_html, parse_page
from crawler.extract.language import detect_language
from crawler.extract.metadata import read_metadata
from crawler.extract.normalize import match_key
from crawler.extract.related import linked_chars_each, without_read_also
from crawler.extract.rules import NO_RULES, ExtractionRules

_COUNT = etree.XPath("count(//*)")
EXTRACTOR = f"kgnews-{__version__} trafilatura-{TRAFILATURA_VERSION}"
MAX_INPUT_BYTES = 10 * 1024 * 1024
MAX_ELEMENTS = 100_000
MIN_WORDS = 20
MAX_LINK_SHARE = 0.5
MAX_UNREADABLE = 0.05  # share of replacement characters (U+FFFD) a body may hold


def extract_article(
    data: bytes,
    url: str,
    rules: ExtractionRules = NO_RULES,
    content_type: str | None = None,
    *,
    known_article: bool = False,
) -> Article:
    """The article on the page; NoArticle (with the reason) when there is none.

    `known_article`: the caller already knows the URL is an article's (it matched the
    source's article pattern), so the page is not judged a listing by its link text
    (it must still have MIN_WORDS words, or article markup).
    """
    if len(data) > MAX_INPUT_BYTES:
        raise NoArticle(
            f"page is {len(data) / 1_000_000:.1f} MB, over the "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB limit"
        )
    text, _encoding = decode_html(data, content_type)
    root, too_deep = parse_page(text)
    elements = int(_COUNT(root))
    if elements > MAX_ELEMENTS:
        raise NoArticle(f"page has {elements} HTML elements, over the {MAX_ELEMENTS} limit")
    meta = read_metadata(root, url, rules)
    selector = rules.body_selector
    fallback = None
    tree, found = clean_page(root, rules)
    links = cache(lambda: link_keys(tree))
    paragraphs = _body(tree, url, rules, links, meta.title)
    if selector and not found:
        fallback = f"body_selector {selector!r} matched nothing"
    elif selector and not paragraphs:
        # The selector still matches, but holds no text (a redesign left an empty shell
        # under the old name): read the page as if it had none. A short text it holds
        # (a news flash) is the body.
        tree, _ = clean_page(parse_html(text), rules, use_body_selector=False)
        links = cache(lambda: link_keys(tree))
        generic = _body(tree, url, rules, links, meta.title)
        if generic:
            fallback = f"body_selector {selector!r} matched an element with no text"
            paragraphs = generic
    if not paragraphs and too_deep:
        raise NoArticle(
            f"page nested deeper than {MAX_DEPTH} levels: the HTML parser reads no further"
        )
    if not paragraphs:
        raise NoArticle("no article text found on the page")
    unreadable = _unreadable_share(paragraphs)
    if unreadable > MAX_UNREADABLE:
        raise NoArticle(
            f"{unreadable:.0%} of the text is bytes no encoding reads (random or binary data "
            "served as a page): not an article"
        )
    words = _words(paragraphs)
    if not meta.is_article and words < MIN_WORDS:  # (also a "page not found" at an article URL)
        raise NoArticle(f"only {words} words of text and no article markup: not an article")
    if not meta.is_article and not known_article:
        link_share = _linked_share(paragraphs, links())
        if link_share > MAX_LINK_SHARE:
            raise NoArticle(
                f"{link_share:.0%} of the text is links and there is no article "
                "markup: a listing page, not an article"
            )
    return Article(
        url=meta.canonical_url or url,
        title=meta.title or "",
        paragraphs=tuple(paragraphs),
        lead=meta.lead,
        authors=meta.authors,
        published_at=meta.published_at,
        modified_at=meta.modified_at,
        language=detect_language("\n".join(paragraphs)),
        tags=meta.tags,
        image_url=meta.image_url,
        extractor=EXTRACTOR,
        fallback=fallback,
    )


def _body(
    tree: HtmlElement,
    url: str,
    rules: ExtractionRules,
    links: Callable[[], frozenset[str]],
    title: str | None,
) -> list[str]:
    """The body's paragraphs from a cleaned tree: trafilatura's blocks without read-also
    boxes, repeats, credits, the source's signature lines and the title."""
    signatures = {match_key(text) for text in rules.drop_paragraphs}
    blocks = [
        block
        for block in dedupe_blocks(without_read_also(main_text_blocks(tree, url), links))
        if not is_credit(block) and not (signatures and match_key(block) in signatures)
    ]
    return _without_title(blocks, title)


def _unreadable_share(paragraphs: list[str]) -> float:
    text = "".join("".join(p.split()) for p in paragraphs)
    return text.count("\ufffd") / len(text) if text else 0.0


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def clean_text(lines: Iterable[str]) -> list[str]:
    """Stages 4 and 5 on text that was already extracted: one paragraph a line, in and out."""
    return dedupe_blocks(lines)


def _linked_share(paragraphs: list[str], links: frozenset[str]) -> float:
    """The share of the body that is link text of the page: a listing's body is its
    headlines; an article's is paragraphs, however linky its menus and sidebars."""
    keys = [match_key(p) for p in paragraphs]
    total = sum(len(key) for key in keys)
    return sum(linked_chars_each(keys, links)) / total if total else 0.0


TITLE_WITHIN = 3  # blocks: the title repeated this near the top is the page's heading
MAX_ABOVE_TITLE_WORDS = 5  # a line above it this short is a breadcrumb or a category


def _without_title(paragraphs: list[str], title: str | None) -> list[str]:
    """The body without a line near the top that repeats the title (the h1 inside the
    body), or most of it (the title without its " | Site"), nor the breadcrumb or
    category lines above it ("Categorias", "Башкы бет › Коом")."""
    if not paragraphs or not title:
        return paragraphs
    whole = match_key(title)
    for at, paragraph in enumerate(paragraphs[:TITLE_WITHIN]):
        line = match_key(paragraph)
        if line == whole or (len(line) >= 0.6 * len(whole) and line in whole):
            return paragraphs[at + 1 :]
        if len(paragraph.split()) > MAX_ABOVE_TITLE_WORDS:
            break  # text above the title: it is not the page's heading
    return paragraphs
