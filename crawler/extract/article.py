"""The typed record extraction produces and the store archives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Article:
    """One article as read from one page, text already cleaned and normalised."""

    url: str
    """Canonical URL: the article's identity in the archive."""
    title: str
    paragraphs: tuple[str, ...]
    """The body, one paragraph (or sub-heading, or list item) each, in reading order."""
    lead: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    image_url: str | None = None
    extractor: str = "unknown"
    """Which extraction code produced the text (recorded with each version)."""
    fallback: str | None = None
    """Why the source's body selector was not used, when it was not ("body_selector
    'div.x' matched nothing"): the generic path found the body instead."""

    @property
    def body(self) -> str:
        """The body as stored: one paragraph a line."""
        return "\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)

    def to_json(self) -> dict[str, Any]:
        """Every field, JSON-ready (times in ISO 8601)."""
        return {
            "url": self.url,
            "title": self.title,
            "lead": self.lead,
            "authors": list(self.authors),
            "published_at": _iso(self.published_at),
            "modified_at": _iso(self.modified_at),
            "language": self.language,
            "tags": list(self.tags),
            "image_url": self.image_url,
            "word_count": self.word_count,
            "extractor": self.extractor,
            "fallback": self.fallback,
            "paragraphs": list(self.paragraphs),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
