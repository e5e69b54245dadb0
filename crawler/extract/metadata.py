"""Title, dates, authors, lead, tags, canonical URL and image, from the page's own markup.

Sources, best first: the source's selectors, JSON-LD (NewsArticle and kin), Open Graph
and article: meta tags, other meta tags and microdata, then the page (h1, <title>,
time[datetime]). Read from the page as it arrived, before any clean-up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.dates import parse_date, zone
from crawler.extract.html_cleanup import select
from crawler.extract.normalize import normalize_paragraph
from crawler.extract.rules import ExtractionRules
from crawler.urls import same_site

_ARTICLE_TYPES = {
    "NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
    "OpinionNewsArticle", "BackgroundNewsArticle", "LiveBlogPosting", "Report",
}  # fmt: skip
_TITLE_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ")


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None = None
    lead: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    tags: tuple[str, ...] = ()
    canonical_url: str | None = None
    image_url: str | None = None
    is_article: bool = False
    """The page says it is an article (JSON-LD article type or og:type=article)."""


def read_metadata(root: HtmlElement, url: str, rules: ExtractionRules) -> Metadata:
    meta = _MetaTags(root)
    ld = _json_ld_article(root)
    tz = zone(rules.timezone)

    def date(*candidates: Callable[[], str | None]) -> datetime | None:
        """The first candidate that parses; the later ones (whole-tree scans) only
        when the earlier ones give nothing."""
        for candidate in candidates:
            parsed = parse_date(candidate(), tz)
            if parsed:
                return parsed
        return None

    published = date(
        lambda: _selected_date(root, rules.date_selector),
        lambda: _text(ld.get("datePublished")),
        lambda: meta.first("article:published_time", "og:published_time", "pubdate", "date",
                           "dc.date.issued", "datepublished", "sailthru.date",
                           "parsely-pub-date"),
        lambda: _first_attr(root, "//*[@itemprop='datePublished']", ("content", "datetime")),
        lambda: _first_attr(root, "//time[@datetime]", ("datetime",)),
        lambda: _first_attr(root, "//*[@data-unixtime]", ("data-unixtime",)),
    )  # fmt: skip
    modified = date(
        lambda: _text(ld.get("dateModified")),
        lambda: meta.first("article:modified_time", "og:updated_time", "datemodified",
                           "last-modified"),
        lambda: _first_attr(root, "//*[@itemprop='dateModified']", ("content", "datetime")),
    )  # fmt: skip
    title = _clean(
        _selected_text(root, rules.title_selector)
        or _text(ld.get("headline"))
        or meta.first("og:title", "twitter:title")
        or _h1(root)
        or _page_title(root, rules.site_name)
    )
    lead = _clean(
        _selected_text(root, rules.lead_selector)
        or meta.first("og:description", "description", "twitter:description")
        or _text(ld.get("description"))
    )
    authors = _unique(
        [_byline(a) for a in _selected_texts(root, rules.author_selector)]
        + [_clean(a) for a in _people(ld.get("author"))]
        + [_byline(a) for a in _microdata_authors(root)]
        + [_clean(a) for a in meta.all("author", "article:author", "byl", "parsely-author")
           if not a.startswith("http")]
    )  # fmt: skip
    tags = _unique(
        [_clean(t) for t in meta.all("article:tag")]
        + [_clean(t) for t in _keywords(ld.get("keywords"))]
        + [_clean(t) for value in meta.all("news_keywords", "keywords") for t in value.split(",")]
    )
    canonical = _same_site(
        url,
        _first_attr(root, "/html/head/link[@rel='canonical']", ("href",))  # (where it stands)
        or _first_attr(root, "//link[@rel='canonical']", ("href",))
        or meta.first("og:url"),
    )
    image = meta.first("og:image", "twitter:image") or _image(ld.get("image"))
    return Metadata(
        title=title,
        lead=lead,
        authors=tuple(a for a in authors if a),
        published_at=published,
        modified_at=modified,
        tags=tuple(t for t in tags if t),
        canonical_url=canonical,
        image_url=urljoin(url, image) if image else None,
        is_article=bool(ld) or (meta.first("og:type") or "").lower() == "article",
    )


class _MetaTags:
    """<meta> values by lower-cased name, property or itemprop, in page order."""

    def __init__(self, root: HtmlElement) -> None:
        self._values: dict[str, list[str]] = {}
        for element in root.iter("meta"):
            key = element.get("property") or element.get("name") or element.get("itemprop")
            content = element.get("content")
            if key and content and content.strip():
                self._values.setdefault(key.strip().lower(), []).append(content.strip())

    def first(self, *names: str) -> str | None:
        for name in names:
            if values := self._values.get(name):
                return values[0]
        return None

    def all(self, *names: str) -> list[str]:
        return [value for name in names for value in self._values.get(name, [])]


def _json_ld_article(root: HtmlElement) -> dict[str, Any]:
    for script in root.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
            continue
        for node in _ld_nodes(data):
            types = node.get("@type")
            names = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t in _ARTICLE_TYPES for t in names):
                return node
    return {}


def _ld_nodes(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_nodes(data["@graph"], depth + 1)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


def _people(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [name for item in value for name in _people(item)]
    return []


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _image(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _text(value.get("url"))
    if isinstance(value, list) and value:
        return _image(value[0])
    return None


@cache
def _compiled(xpath: str) -> etree.XPath:
    return etree.XPath(xpath)


def _first_attr(root: HtmlElement, xpath: str, attributes: tuple[str, ...]) -> str | None:
    for element in _compiled(xpath)(root):
        for attribute in attributes:
            value = element.get(attribute)
            if value and value.strip():
                return str(value).strip()
    return None


def _selected_texts(root: HtmlElement, css: str | None) -> list[str]:
    if not css:
        return []
    return [" ".join(el.itertext()) for el in select(root, css)]


def _selected_text(root: HtmlElement, css: str | None) -> str | None:
    texts = [t for t in _selected_texts(root, css) if t.strip()]
    return texts[0] if texts else None


def _selected_date(root: HtmlElement, css: str | None) -> str | None:
    if not css:
        return None
    for element in select(root, css):
        for attribute in ("datetime", "content", "data-unixtime", "data-published"):
            value = element.get(attribute)
            if value and value.strip():
                return str(value).strip()
        text = " ".join(" ".join(element.itertext()).split())
        if text:
            return text
    return None


_BYLINE_PREFIX = re.compile(
    r"^(?:автор(?:у|лор)?|авторы|даярдаган|текст|author|by)\s*[:\-–—]?\s+", re.IGNORECASE
)


def _byline(text: str) -> str | None:
    cleaned = _clean(text)
    return _BYLINE_PREFIX.sub("", cleaned) or None if cleaned else None


def _microdata_authors(root: HtmlElement) -> list[str]:
    names = []
    for element in root.xpath("//*[@itemprop='author']"):
        name = element.xpath(".//*[@itemprop='name']")
        node = name[0] if name else element
        names.append(node.get("content") or " ".join(node.itertext()))
    return names


def _h1(root: HtmlElement) -> str | None:
    for h1 in root.iter("h1"):
        text = " ".join(h1.itertext()).strip()
        if text:
            return text
    return None


def _page_title(root: HtmlElement, site_name: str | None) -> str | None:
    element = root.find(".//title")
    if element is None or not element.text:
        return None
    title = element.text.strip()
    for separator in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if found and head and (site_name is None or site_name.lower() in tail.lower()):
            return head
    return title


def _same_site(url: str, candidate: str | None) -> str | None:
    """`candidate`, absolute, if it is on the page's own site; else None."""
    if not candidate:
        return None
    absolute = urljoin(url, candidate.strip())
    page_host = urlsplit(url).hostname
    return absolute if page_host and same_site(absolute, page_host) else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = normalize_paragraph(value)
    return cleaned or None


def _unique(values: list[str | None]) -> list[str]:
    seen: set[str] = set()
    result = []
    for value in values:
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            result.append(value)
    return result
