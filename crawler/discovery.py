"""Finding article links: feeds, sitemaps, listing pages. Pure functions, no Scrapy.

XML is parsed with entities left unresolved and no network, so an entity-expansion
bomb expands nothing; gzip is inflated only up to a limit, so a gzip bomb stops there.
Sitemaps keep what Scrapy's own parser drops: Google News `publication_date` and
`title`, besides `lastmod`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.dates import parse_date
from crawler.extract.html_cleanup import parse_html, select

MAX_XML_BYTES = 50 * 1024 * 1024


class DiscoveryError(Exception):
    """A feed, sitemap or listing that cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    published_at: datetime | None = None
    modified_at: datetime | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    links: list[Link]
    problem: str | None = None
    """Set when the XML was malformed: the links are what could be recovered."""


@dataclass(frozen=True, slots=True)
class SitemapPage:
    is_index: bool
    links: list[Link]
    """Child sitemaps of an index, or the pages of a urlset."""
    problem: str | None = None


def gunzip(data: bytes, max_size: int) -> bytes:
    """Inflate gzip `data`, refusing output larger than `max_size` (a gzip bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise DiscoveryError(f"broken gzip data: {exc}") from None
    if len(out) > max_size or inflater.unconsumed_tail:
        raise DiscoveryError(f"gzip data inflates past {max_size} bytes: refused")
    return out


def maybe_gunzip(data: bytes, max_size: int) -> bytes:
    return gunzip(data, max_size) if data[:2] == b"\x1f\x8b" else data


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
    )


def _xml(data: bytes) -> tuple[etree._Element, str | None]:
    """The document, and what was wrong with it if it had to be recovered."""
    data = data.strip()
    try:
        root = etree.fromstring(data, _parser(recover=False))
        dtd = root.getroottree().docinfo.internalDTD
        if dtd is not None and list(dtd.iterentities()):
            return (
                root,
                "the document declares XML entities (an expansion bomb?); none were expanded",
            )
        return root, None
    except etree.XMLSyntaxError as exc:
        problem = f"malformed XML ({exc}); used what could be read"
    recovered: etree._Element | None
    try:
        recovered = etree.fromstring(data, _parser(recover=True))
    except etree.XMLSyntaxError:
        recovered = None
    if recovered is None:
        raise DiscoveryError(f"not XML: {problem.removeprefix('malformed XML ').split(';')[0]}")
    return recovered, problem


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(element: etree._Element, *names: str) -> str | None:
    for child in element:
        if _local(child.tag) in names:
            text = "".join(child.itertext()).strip()
            if text:
                return text
    return None


def _absolute(base_url: str, href: str | None) -> str | None:
    if not href:
        return None
    url = urljoin(base_url, href.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None


def parse_feed(data: bytes, base_url: str, timezone: tzinfo) -> Feed:
    """The items of an RSS 2.0, RSS 1.0 or Atom feed."""
    root, problem = _xml(data)
    if _local(root.tag) not in ("rss", "rdf", "feed"):
        raise DiscoveryError(f"not a feed: the document is <{_local(root.tag)}>")
    links = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "item":
            url = _absolute(base_url, _child_text(element, "link") or _child_text(element, "guid"))
            published = _child_text(element, "pubdate", "date")
        elif name == "entry":
            href = next(
                (
                    c.get("href")
                    for c in element
                    if _local(c.tag) == "link" and c.get("rel", "alternate") == "alternate"
                ),
                None,
            )
            url = _absolute(base_url, href)
            published = _child_text(element, "published", "updated")
        else:
            continue
        if url:
            links.append(
                Link(url, parse_date(published, timezone), title=_child_text(element, "title"))
            )
    return Feed(links, problem)


def parse_sitemap(data: bytes, base_url: str, timezone: tzinfo) -> SitemapPage:
    """A sitemap index (its child sitemaps) or a urlset (its pages, news fields included)."""
    root, problem = _xml(data)
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise DiscoveryError(f"not a sitemap: the document is <{kind}>")
    entry_name = "sitemap" if kind == "sitemapindex" else "url"
    links = []
    for entry in root:
        if _local(entry.tag) != entry_name:
            continue
        url = _absolute(base_url, _child_text(entry, "loc"))
        if not url:
            continue
        published = title = None
        for child in entry:
            if _local(child.tag) == "news":
                published = _child_text(child, "publication_date")
                title = _child_text(child, "title")
        links.append(
            Link(
                url,
                parse_date(published, timezone),
                parse_date(_child_text(entry, "lastmod"), timezone),
                title,
            )
        )
    return SitemapPage(kind == "sitemapindex", links, problem)


def listing_links(
    page: str | HtmlElement, base_url: str, link_selector: str | None = None
) -> list[str]:
    """The links of a listing page (those the selector picks, else all), in page order."""
    root = parse_html(page) if isinstance(page, str) else page
    anchors = select(root, link_selector) if link_selector else root.iter("a")
    urls = []
    for anchor in anchors:
        url = _absolute(base_url, anchor.get("href"))
        if url:
            urls.append(url.split("#", 1)[0])
    return urls


def next_page(page: str | HtmlElement, base_url: str, selector: str) -> str | None:
    root = parse_html(page) if isinstance(page, str) else page
    for element in select(root, selector):
        url = _absolute(base_url, element.get("href"))
        if url:
            return url
    return None
