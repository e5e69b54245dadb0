"""What the spider hands the pipeline: pages fetched, and fetches that failed.

The spider never reads an article's text; it passes the response on as it came.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.capture.warc import RecordRef


@dataclass
class ArticlePage:
    source: str
    url: str
    """The URL the page was fetched from (after redirects)."""
    article_url: str | None
    """For a revisit: the archive's URL of the article."""
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    elapsed_ms: int | None
    warc: RecordRef | None = None
    """Where the raw response was kept."""
    warc_error: str | None = None
    """Set when it could not be kept: the page is then not archived."""


@dataclass
class FailedFetch:
    source: str
    url: str
    error: str
    """One line: what went wrong (HTTP 404, DNS lookup failed, redirected off site…)."""
    fetched_at: datetime
    role: str
    """"article", or the discovery page it was: "feed", "sitemap", "listing"."""
    status: int | None = None
    connection_failed: bool = False
    """No answer from the site at all (DNS, refused, timeout)."""
    warc: RecordRef | None = None
