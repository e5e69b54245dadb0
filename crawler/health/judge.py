"""What in a source's numbers breaks from its own history: pure rules, named thresholds.

Each rule gives one line that says what changed and what to look at. The thresholds
are Scrapy settings (crawler/settings.py, KGNEWS_HEALTH_*), documented in docs/health.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    selector_min_share: float = 0.5
    """A body selector that matches fewer of a run's pages than this share is flagged."""
    shrink_factor: float = 0.5
    """Bodies whose median falls below this share of the source's trailing median."""
    min_pages: int = 3
    """Pages a run must have extracted before its median words are judged."""
    silence_factor: float = 3.0
    """No new article for this many of the source's usual gaps between articles…"""
    min_silence_hours: float = 24.0
    """…and never less than this."""
    refused_min_pages: int = 3
    """Article pages fetched before "everything refused" can be said (one Russian page in
    a Kyrgyz feed, fetched again each run, is no alarm)."""
    off_language_share: float = 0.5
    """Extracted pages in another language than the source's, from this share."""
    redirect_share: float = 0.5
    """Article fetches redirected to another host, from this share."""

    @classmethod
    def from_settings(cls, get: Any) -> Thresholds:
        """From settings: `get(NAME, default)` for each KGNEWS_HEALTH_<FIELD>."""
        values: dict[str, Any] = {}
        for name, default in cls().__dict__.items():
            setting = f"KGNEWS_HEALTH_{name.upper()}"
            value = get(setting, default)
            try:
                values[name] = (
                    type(default)(float(value)) if isinstance(default, int) else float(value)
                )
            except (TypeError, ValueError):
                raise ValueError(f"{setting}={value!r}") from None
        return cls(**values)


@dataclass(frozen=True)
class Numbers:
    """One source's numbers for one run (the columns of source_health)."""

    key: str
    measured_at: datetime
    links_found: int = 0
    pages_fetched: int = 0
    outcomes: Mapping[str, int] = field(default_factory=dict)
    refusals: Mapping[str, int] = field(default_factory=dict)
    body_selector: str | None = None
    selector_pages: int = 0
    selector_hits: int = 0
    words: Sequence[int] = ()
    languages: Mapping[str, int] = field(default_factory=dict)
    language: str = "ky"
    last_new_at: datetime | None = None
    usual_gap: timedelta | None = None
    off_site_redirects: Mapping[str, int] = field(default_factory=dict)
    feeds_not_modified: int = 0
    """Feeds that answered 304 this run (no links read from them)."""

    @property
    def median_words(self) -> float | None:
        return float(median(self.words)) if self.words else None

    @property
    def archived(self) -> int:
        return sum(self.outcomes.get(o, 0) for o in ("new", "changed", "unchanged", "not_modified"))


@dataclass(frozen=True)
class Past:
    """What earlier runs of the source said (oldest first)."""

    selector_shares: Sequence[float] = ()
    median_words: Sequence[float] = ()
    links_found: Sequence[int] = ()

    @property
    def trailing_median_words(self) -> float | None:
        return float(median(self.median_words)) if self.median_words else None


def warnings(now: Numbers, past: Past, limits: Thresholds) -> list[str]:
    """The lines to warn with, in a fixed order; none for a healthy source."""
    found: list[str] = []
    for rule in (_selector, _shrunk, _silent, _refused, _off_language, _moved, _undiscovered):
        line = rule(now, past, limits)
        if line:
            found.append(line)
    return found


def _selector(now: Numbers, past: Past, limits: Thresholds) -> str | None:
    if not now.body_selector or not now.selector_pages:
        return None
    share = now.selector_hits / now.selector_pages
    if share >= limits.selector_min_share:
        return None
    before = f" (before: {median(past.selector_shares):.0%})" if past.selector_shares else ""
    return (
        f"body_selector {now.body_selector!r} matched {now.selector_hits} of "
        f"{now.selector_pages} pages{before}; the generic extraction stood in. The site's "
        f"markup has changed: compare with `kgnews sources try {now.key} URL`"
    )


def _shrunk(now: Numbers, past: Past, limits: Thresholds) -> str | None:
    current, trailing = now.median_words, past.trailing_median_words
    if current is None or trailing is None or len(now.words) < limits.min_pages:
        return None
    if current >= limits.shrink_factor * trailing:
        return None
    return (
        f"bodies shrank: median {current:.0f} words, {trailing:.0f} in earlier runs; "
        f"check what extraction keeps with `kgnews sources try {now.key} URL`"
    )


def _silent(now: Numbers, past: Past, limits: Thresholds) -> str | None:
    if now.last_new_at is None or now.usual_gap is None:
        return None
    silence = now.measured_at - now.last_new_at
    allowed = max(limits.silence_factor * now.usual_gap, timedelta(hours=limits.min_silence_hours))
    if silence <= allowed:
        return None
    return (
        f"no new article for {_span(silence)} (one usually comes every {_span(now.usual_gap)}); "
        "check its feeds and listings still list new articles"
    )


def _refused(now: Numbers, past: Past, limits: Thresholds) -> str | None:
    if now.pages_fetched < limits.refused_min_pages or now.archived:
        return None
    reason = (
        max(now.refusals.items(), key=lambda item: (item[1], item[0]))[0] if now.refusals else "?"
    )
    return f"all {now.pages_fetched} article pages refused, most often: {reason}"


def _off_language(now: Numbers, past: Past, limits: Thresholds) -> str | None:
    total = sum(now.languages.values())
    other = {lang: n for lang, n in now.languages.items() if lang != now.language}
    if total < limits.min_pages or sum(other.values()) < limits.off_language_share * total:
        return None
    mix = ", ".join(f"{lang} {n}" for lang, n in sorted(other.items(), key=lambda i: -i[1]))
    return (
        f"{sum(other.values())} of {total} pages not in {now.language} ({mix}): "
        "has the site moved its Kyrgyz section?"
    )


def _moved(now: Numbers, past: Past, limits: Thresholds) -> str | None:
    redirected = sum(now.off_site_redirects.values())
    if not redirected or redirected < limits.redirect_share * max(now.pages_fetched, 1):
        return None
    host = _most(now.off_site_redirects)
    return (
        f"{redirected} article pages redirect to {host}: the site may have moved; "
        "update base_url and hosts"
    )


def _undiscovered(now: Numbers, past: Past, limits: Thresholds) -> str | None:
    if now.links_found or not past.links_found or not past.links_found[-1]:
        return None
    if now.feeds_not_modified:  # the feed said 304: nothing new, not nothing found
        return None
    return (
        f"discovery found no article links (the run before: {past.links_found[-1]}); "
        "check the source's feeds, sitemaps, listings and article_pattern"
    )


def _most(counts: Mapping[str, int]) -> str:
    """The most frequent key (ties: the first in sort order, for the same line every time)."""
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} h"
