"""A news source as the registry describes it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import urlsplit

from crawler.extract.rules import ExtractionRules
from crawler.urls import bare_host, canonicalize, clean_query


@dataclass(frozen=True)
class RevisitPolicy:
    """How often a known article is fetched again, by its age (hours → minutes between)."""

    steps: tuple[tuple[float, float], ...] = (
        (3, 15),  # published < 3 h ago: every 15 min
        (24, 60),  # < 1 day: hourly
        (24 * 7, 6 * 60),  # < 1 week: every 6 h
        (24 * 30, 3 * 24 * 60),  # < 30 days: every 3 days
    )
    """(age in hours, interval in minutes) pairs; older than the last age: not revisited."""

    @property
    def horizon(self) -> timedelta:
        """Articles older than this are never revisited."""
        return timedelta(hours=self.steps[-1][0])

    def interval(self, age: timedelta) -> timedelta | None:
        """How long to wait between fetches of an article this old (None: never again)."""
        for max_age_hours, every_minutes in self.steps:
            if age < timedelta(hours=max_age_hours):
                return timedelta(minutes=every_minutes)
        return None


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    language: str
    base_url: str
    article_pattern: re.Pattern[str]
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    rules: ExtractionRules = field(default_factory=ExtractionRules)
    delay: float | None = None
    concurrency: int = 1
    link_selector: str | None = None
    next_page_selector: str = "a[rel=next], link[rel=next]"
    max_listing_pages: int = 2
    tracking_params: tuple[str, ...] = ()
    trailing_slash: bool = False
    canonical_template: str | None = None
    hosts: tuple[str, ...] = ()
    """Other hosts of the same site (articles may live on them)."""
    user_agent: str | None = None
    revisit: RevisitPolicy = field(default_factory=RevisitPolicy)
    examples: tuple[str, ...] = ()
    """Real article URLs the entry rests on: each must be one of its articles."""

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def is_own(self, url: str) -> bool:
        """Whether `url` is on this source's site."""
        host = bare_host(urlsplit(url).hostname or "")
        return host == bare_host(self.host) or host in {bare_host(h) for h in self.hosts}

    def article_id(self, url: str) -> str | None:
        """The article's identity if `url` is an article of this source, else None.

        With a named group `id` in the pattern, that group; else the canonical URL.
        """
        return self._identity(url, self._match(url))

    def _identity(self, url: str, match: re.Match[str] | None) -> str | None:
        if match is None:
            return None
        return self._id_group(match) or self.canonical(url)

    def _match(self, url: str) -> re.Match[str] | None:
        """The article pattern searched in `url`'s path and query (tracking parameters
        aside), when `url` is on this source's site."""
        if not self.is_own(url):
            return None
        parts = urlsplit(url)
        query = clean_query(parts.query, self.tracking_params)
        return self.article_pattern.search(parts.path + (f"?{query}" if query else ""))

    def _id_group(self, match: re.Match[str]) -> str | None:
        """The pattern's `id` group in `match`, when the branch that matched has one."""
        return match.group("id") if "id" in self.article_pattern.groupindex else None

    def canonical(self, url: str) -> str:
        return canonicalize(
            url,
            site_host=self.host if self.is_own(url) else None,
            tracking=self.tracking_params,
            trailing_slash=self.trailing_slash,
        )

    def canonical_for(self, url: str, page_canonical: str | None = None) -> str:
        """The URL that names the article at `url` in the archive.

        The source's template filled with the article id wins; then the page's own
        rel=canonical when it is an article of this source with the same id; then
        the canonical form of `url` itself.
        """
        match = self._match(url)
        group = self._id_group(match) if match is not None else None
        if self.canonical_template and group:
            return self.canonical(self.canonical_template.format(id=group))
        article_id = self._identity(url, match)
        if page_canonical and article_id and self.article_id(page_canonical) == article_id:
            return self.canonical(page_canonical)
        return self.canonical(url)

    def rebased(self, origin: str) -> Source:
        """The same source served from another origin (a mirror): every URL moved there."""

        def move(url: str) -> str:
            parts = urlsplit(url)
            return origin.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")

        template = self.canonical_template
        return replace(
            self,
            base_url=move(self.base_url),
            feeds=tuple(move(u) for u in self.feeds),
            sitemaps=tuple(move(u) for u in self.sitemaps),
            listings=tuple(move(u) for u in self.listings),
            canonical_template=move(template) if template else None,
            hosts=(),
        )
