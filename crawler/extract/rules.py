"""What a source tells extraction about its pages (from the sources registry)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TIMEZONE = "Asia/Bishkek"  # UTC+6 all year: where a page gives a time without offset


@dataclass(frozen=True, slots=True)
class ExtractionRules:
    """Per-source hints. Every field is optional: with none, extraction reads the whole page."""

    body_selector: str | None = None
    """CSS selector of the article body container; the first match is the body."""
    drop_selectors: tuple[str, ...] = ()
    """CSS selectors of blocks that are never article text (related news, share bars…)."""
    drop_paragraphs: tuple[str, ...] = ()
    """Whole paragraphs that are never article text (an agency's signature line)."""
    title_selector: str | None = None
    lead_selector: str | None = None
    date_selector: str | None = None
    """An element whose datetime / content / data-unixtime attribute or text is the date."""
    author_selector: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    site_name: str | None = None
    """Stripped from the end of <title> when the page has no better title."""


NO_RULES = ExtractionRules()
