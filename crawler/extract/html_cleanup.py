"""Stage 2: HTML clean-up before trafilatura.

- Carousel clones go, by the markers their libraries put on them (slick, Swiper ≤ 8,
  Owl, Splide, Glide, tiny-slider, bxSlider; Swiper 9's blank slides). A bare
  `.cloned` is left alone: sticky-menu scripts use it for copied menus.
- Carousel controls (arrows, dots, pagination) go.
- A thumbnail slider (the small twin of a main slider) goes, and so does a carousel
  whose text is mostly links (related news, most read) or that sits in a box of other
  stories (a class or id saying related, recommended, promo).
- Every other carousel in the article is unwrapped into plain paragraphs, so that
  trafilatura (which drops anything whose class says "slide", anything aria-hidden,
  and text nested deep in <div>s) sees each real slide once, as ordinary text.
- A source's drop selectors remove what is never article text; its body selector
  picks the article container, inside which text-only divs become paragraphs.
- Without a body selector, a body cut into parts is merged (crawler.extract.body_parts).
"""

from __future__ import annotations

import re
from functools import lru_cache

from cssselect import GenericTranslator, SelectorError
from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    document_fromstring,
)
from lxml.html import builder as E

from crawler.extract.body_parts import merge_body_parts
from crawler.extract.errors import NoArticle
from crawler.extract.normalize import match_key
from crawler.extract.rules import ExtractionRules
from crawler.extract.tree import outermost

_CLONE_CLASSES = (
    "slick-cloned",
    "swiper-slide-duplicate",
    "splide__slide--clone",
    "glide__slide--clone",
    "tns-slide-cloned",
    "bx-clone",
    "swiper-slide-blank",
)
_CAROUSEL_CLASSES = (
    # outer containers
    "slick-slider", "swiper", "swiper-container", "owl-carousel", "splide", "glide",
    "tns-outer", "bx-wrapper", "carousel", "flickity-enabled",
    # tracks, for pages saved without their outer container
    "slick-track", "swiper-wrapper", "owl-stage", "splide__list", "glide__slides",
    "tns-slider", "bxslider", "carousel-inner", "flickity-slider",
)  # fmt: skip
_CONTROL_CLASSES = (
    "slick-arrow", "slick-dots", "owl-nav", "owl-dots", "swiper-pagination",
    "swiper-button-next", "swiper-button-prev", "swiper-scrollbar", "splide__arrows",
    "splide__pagination", "glide__arrows", "glide__bullets", "tns-nav", "tns-controls",
    "tns-liveregion", "bx-controls", "carousel-indicators", "carousel-control-prev",
    "carousel-control-next", "flickity-button", "flickity-page-dots",
)  # fmt: skip
_THUMBNAIL_CLASS = re.compile(r"thumb|^(?:slider|gallery|carousel)-nav\d*$")
_OTHER_STORIES = re.compile(r"related|recommend|more-(?:stories|news|articles)|promo", re.I)
RELATED_DEPTH = 4  # ancestors of a carousel looked at for a "related stories" class
LINK_DENSE = 0.5
MAX_DEPTH = 2048  # libxml2's nesting limit for a huge_tree parse


_CLONE_SET = frozenset(_CLONE_CLASSES)
_CAROUSEL_SET = frozenset(_CAROUSEL_CLASSES)
_CONTROL_SET = frozenset(_CONTROL_CLASSES)
_CLASS_VALUES = etree.XPath("//@class")
# Every name of the three sets holds one of these: a cheap first test of a class value.
_MAY_MATCH = re.compile("slick|swiper|owl|splide|glide|tns-|bx|carousel|flickity|clone")


def _by_class(root: HtmlElement) -> tuple[list[HtmlElement], list[HtmlElement], list[HtmlElement]]:
    """Clones, controls and carousels, in document order, in one pass over the tree."""
    clones, controls, carousels = [], [], []
    for value in _CLASS_VALUES(root):
        if not _MAY_MATCH.search(value):
            continue
        classes = set(value.split())
        if classes & _CLONE_SET or {"owl-item", "cloned"} <= classes:
            clones.append(value.getparent())
        elif classes & _CONTROL_SET:
            controls.append(value.getparent())
        elif classes & _CAROUSEL_SET:
            carousels.append(value.getparent())
    return clones, controls, carousels


# Every element an HtmlElement, chosen in C: lxml.html's own lookup (a Python call per
# element touched, to give forms and inputs classes of their own that nothing here uses)
# was a tenth of trafilatura's time on our trees.
_LOOKUP = etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def parse_html(text: str) -> HtmlElement:
    """An lxml document for the page; broken HTML is repaired, not refused.

    Comments and processing instructions go, their tails kept in place: a comment
    inside a <p> would make trafilatura drop the rest of the paragraph.
    """
    return parse_page(text)[0]


def parse_page(text: str) -> tuple[HtmlElement, bool]:
    """As `parse_html`, and whether the page nests deeper than the parser reads (what
    lies below MAX_DEPTH levels is not in the document; what lies above it is)."""
    text = _XML_DECLARATION.sub("", text, count=1)
    # libxml2 stops reading at 256 levels of nesting unless told the document may be
    # huge (then 2048): deep pages exist (nested tables, runaway unclosed tags).
    # The input size is capped before parsing, so "huge" risks nothing here.
    parser = HTMLParser(huge_tree=True)
    parser.set_element_class_lookup(_LOOKUP)
    try:
        root = document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise NoArticle(f"not HTML: {exc}") from None
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
    too_deep = any("Excessive depth" in entry.message for entry in parser.error_log)
    return root, too_deep


@lru_cache(maxsize=512)
def compile_selector(css: str) -> etree.XPath:
    """A CSS selector as compiled XPath; ValueError says what is wrong with it."""
    try:
        return etree.XPath(GenericTranslator().css_to_xpath(css))
    except (SelectorError, etree.XPathSyntaxError) as exc:
        raise ValueError(f"invalid CSS selector {css!r}: {exc}") from None


def select(root: HtmlElement, css: str) -> list[HtmlElement]:
    return [el for el in compile_selector(css)(root) if isinstance(el, HtmlElement)]


def clean_page(
    root: HtmlElement, rules: ExtractionRules, *, use_body_selector: bool = True
) -> tuple[HtmlElement, bool]:
    """The tree trafilatura should read, and whether the rules' body selector found the
    body in it. Changes `root` in place."""
    _drop_code(root)
    clones, controls, carousels = _by_class(root)
    for element in clones + controls:
        _drop(element)
    for css in rules.drop_selectors:
        for element in select(root, css):
            _drop(element)
    body = _first(root, rules.body_selector) if use_body_selector else None
    if body is None:
        merge_body_parts(root)
    for carousel in outermost([c for c in carousels if _attached(c, root)]):
        if (
            _is_thumbnails(carousel)
            or link_density(carousel) > LINK_DENSE
            or _in_other_stories(carousel)
        ):
            _drop(carousel)
        elif body is None or _is_within(carousel, body):
            _unwrap(carousel)
    if body is None:
        return root, False
    _text_divs_to_paragraphs(body)
    body.tail = None
    return E.HTML(E.BODY(E.ARTICLE(body))), True


_CODE = etree.XPath(
    "//script[not(@type='application/ld+json')] | //style"
    " | /html/head/meta | /html/head/link | /html/head/title | /html/head/base"
)


def _drop_code(root: HtmlElement) -> None:
    """Scripts, styles and the head's metas, links and title go first (read by
    crawler.extract.metadata already): never body text, they would only be copied with
    the tree and searched at each of trafilatura's passes. JSON-LD stays: trafilatura
    may read a body there. Anything else in the head stays: on a page with no <body>
    tag the parser may have put the article there."""
    for element in _CODE(root):
        element.drop_tree()


def _attached(element: HtmlElement, root: HtmlElement) -> bool:
    """Still in the tree (not inside something dropped since the tree was scanned)."""
    return element.getroottree().getroot() is root


def _first(root: HtmlElement, css: str | None) -> HtmlElement | None:
    if not css:
        return None
    found = select(root, css)
    return found[0] if found else None


def _drop(element: HtmlElement) -> None:
    if element.getparent() is not None:
        element.drop_tree()


def _is_within(element: HtmlElement, container: HtmlElement) -> bool:
    return element is container or any(a is container for a in element.iterancestors())


def _is_thumbnails(carousel: HtmlElement) -> bool:
    classes = (carousel.get("class") or "").split()
    return any(_THUMBNAIL_CLASS.search(name) for name in classes)


def _in_other_stories(carousel: HtmlElement) -> bool:
    """A carousel of cards in a box of other stories ("related-pages", "recommended")."""
    for element in [carousel, *list(carousel.iterancestors())[:RELATED_DEPTH]]:
        if _OTHER_STORIES.search(f"{element.get('class') or ''} {element.get('id') or ''}"):
            return True
    return False


def link_density(element: HtmlElement) -> float:
    """The share of an element's text that sits inside links."""
    total = len("".join(element.itertext()).split())
    if total == 0:
        return 0.0
    linked = sum(len("".join(a.itertext()).split()) for a in element.iter("a"))
    return linked / total


MIN_LINK_KEY = 3  # key characters: shorter link texts ("1", "»") are not counted


def link_keys(tree: HtmlElement) -> frozenset[str]:
    """The match keys of the page's link texts (the very short ones aside)."""
    keys = {match_key(a.text_content()) for a in tree.iter("a")}
    return frozenset(key for key in keys if len(key) >= MIN_LINK_KEY)


_INLINE = {
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "font",
}  # fmt: skip
_INLINE_OR_BREAK = _INLINE | {"br"}
_SKIP = {"script", "style", "noscript", "template", "img", "picture", "svg", "video", "iframe",
         "button", "input", "select", "textarea"}  # fmt: skip


def _text_divs_to_paragraphs(body: HtmlElement) -> None:
    """A <div> that holds text and only inline elements is a paragraph (Sputnik writes
    its paragraphs so): say so, or trafilatura may keep the <p>s beside it and drop it.

    Only inside the article body a source's selector picked, and only a div of prose:
    across a whole page, or for a div that is mostly a link (a headline in a list of
    related news), it would pull sidebars into the body.
    """
    for div in body.iter("div"):
        inline_only = all(isinstance(c.tag, str) and c.tag in _INLINE_OR_BREAK for c in div)
        if inline_only and div.text_content().strip() and link_density(div) <= LINK_DENSE:
            div.tag = "p"


def _unwrap(carousel: HtmlElement) -> None:
    """Replace the carousel by a plain <div> of <p>s, one per block of text, in order.

    Nothing of the carousel's markup survives to make trafilatura skip it (classes
    with "slide", aria-hidden, inline styles), nor its nesting (trafilatura loses
    text buried in many levels of <div>).
    """
    blocks: list[str] = []
    _text_blocks(carousel, blocks)
    flat = E.DIV(*(E.P(text) for text in blocks))
    flat.tail = carousel.tail
    parent = carousel.getparent()
    if parent is not None:
        parent.replace(carousel, flat)


def _text_blocks(element: HtmlElement, blocks: list[str]) -> None:
    current = [element.text or ""]

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            blocks.append(text)
        current.clear()

    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _SKIP or not tag:
            pass
        elif tag == "br":
            flush()
        elif tag in _INLINE:
            current.append(child.text_content())
        else:
            flush()
            _text_blocks(child, blocks)
        current.append(child.tail or "")
    flush()
