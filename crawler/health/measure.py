"""A source's numbers after a crawl run, read from the archive, and the row that keeps them.

Everything comes from the run's `fetches` rows (outcomes, refusal reasons, words,
languages, selector fallbacks), the source's articles (when the last new one came, the
usual gap between two) and its earlier `source_health` rows (its own history).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.health.judge import Numbers, Past, Thresholds, warnings
from crawler.sources.model import Source
from crawler.store.models import Article, Fetch, SourceHealth
from crawler.store.transaction import in_transaction

HISTORY_RUNS = 10  # earlier runs a source's trailing numbers are taken over
GAP_ARTICLES = 50  # newest articles the usual gap between two is taken over
_DISCOVERY = re.compile(r"^(?:feed|sitemap|listing|robots)\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?%?")
_STATUS = re.compile(r"HTTP \d{3}\b")
_OFF_SITE = re.compile(r"redirected to another site \(([^)\s]+)\)")


def record_health(
    engine: Engine,
    run_id: int,
    sources: list[Source],
    source_ids: dict[str, int],
    links_found: dict[str, int],
    now: datetime,
    limits: Thresholds,
    feeds_not_modified: dict[str, int] | None = None,
) -> dict[str, list[str]]:
    """Measure each source for run `run_id`, keep the rows; the warnings, by source.
    `feeds_not_modified`: by source, the feeds that answered 304 (no links in them)."""

    def write(session: Session) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for source in sources:
            source_id = source_ids[source.key]
            numbers = _numbers(
                session, run_id, source, source_id, links_found, feeds_not_modified or {}, now
            )
            past = _past(session, source_id, run_id)
            lines = warnings(numbers, past, limits)
            session.add(_row(run_id, source_id, numbers, past, lines))
            found[source.key] = lines
        return found

    return in_transaction(engine, write)


def _numbers(
    session: Session,
    run_id: int,
    source: Source,
    source_id: int,
    links_found: dict[str, int],
    feeds_not_modified: dict[str, int],
    now: datetime,
) -> Numbers:
    rows = session.execute(
        select(Fetch.outcome, Fetch.error, Fetch.words, Fetch.language, Fetch.fallback).where(
            Fetch.crawl_run_id == run_id, Fetch.source_id == source_id
        )
    ).all()
    pages = [row for row in rows if not (row.error and _DISCOVERY.match(row.error))]
    extracted = [row for row in pages if row.words is not None]
    selector = source.rules.body_selector
    return Numbers(
        key=source.key,
        measured_at=now,
        links_found=links_found.get(source.key, 0),
        feeds_not_modified=feeds_not_modified.get(source.key, 0),
        pages_fetched=len(pages),
        outcomes=dict(Counter(row.outcome for row in pages)),
        refusals=dict(Counter(_reason(row.error) for row in pages if row.error)),
        body_selector=selector,
        selector_pages=len(extracted) if selector else 0,
        selector_hits=sum(row.fallback is None for row in extracted) if selector else 0,
        words=[row.words for row in extracted if row.outcome != "skipped"],
        languages=dict(Counter(row.language for row in extracted if row.language)),
        language=source.language,
        last_new_at=session.scalar(
            select(func.max(Article.first_seen_at)).where(Article.source_id == source_id)
        ),
        usual_gap=_usual_gap(session, source_id),
        off_site_redirects=dict(
            Counter(
                urlsplit(match.group(1)).hostname or match.group(1)
                for row in pages
                if row.error and (match := _OFF_SITE.search(row.error))
            )
        ),
    )


def _reason(error: str) -> str:
    """An error without its URLs and numbers, so that like counts with like; an HTTP
    status stays (a 403 says blocked, a 404 moved, a 500 down)."""
    text = re.sub(r"https?://[^\s)]+", "URL", error)
    return _NUMBER.sub(lambda m: m.group() if _STATUS.match(text, m.start() - 5) else "N", text)[
        :120
    ]


def _usual_gap(session: Session, source_id: int) -> timedelta | None:
    """The median time between the source's consecutive articles, by publication time
    where known (the site's own rhythm), else by when the archive first saw them."""
    times = session.scalars(
        select(func.coalesce(Article.published_at, Article.first_seen_at))
        .where(Article.source_id == source_id)
        .order_by(func.coalesce(Article.published_at, Article.first_seen_at).desc())
        .limit(GAP_ARTICLES)
    ).all()
    gaps = [(a - b).total_seconds() for a, b in pairwise(times) if a > b]
    return timedelta(seconds=median(gaps)) if gaps else None


def _past(session: Session, source_id: int, run_id: int) -> Past:
    rows = session.scalars(
        select(SourceHealth)
        .where(SourceHealth.source_id == source_id, SourceHealth.crawl_run_id != run_id)
        .order_by(SourceHealth.measured_at.desc(), SourceHealth.id.desc())
        .limit(HISTORY_RUNS)
    ).all()[::-1]
    return Past(
        selector_shares=[r.selector_hits / r.selector_pages for r in rows if r.selector_pages],
        median_words=[r.median_words for r in rows if r.median_words is not None],
        links_found=[r.links_found for r in rows],
    )


def _row(run_id: int, source_id: int, n: Numbers, past: Past, lines: list[str]) -> SourceHealth:
    return SourceHealth(
        crawl_run_id=run_id,
        source_id=source_id,
        measured_at=n.measured_at,
        links_found=n.links_found,
        pages_fetched=n.pages_fetched,
        new_count=n.outcomes.get("new", 0),
        changed_count=n.outcomes.get("changed", 0),
        unchanged_count=n.outcomes.get("unchanged", 0),
        not_modified_count=n.outcomes.get("not_modified", 0),
        skipped_count=n.outcomes.get("skipped", 0),
        error_count=n.outcomes.get("error", 0),
        refusals=dict(n.refusals),
        selector_pages=n.selector_pages,
        selector_hits=n.selector_hits,
        median_words=n.median_words,
        trailing_median_words=past.trailing_median_words,
        languages=dict(n.languages),
        last_new_at=n.last_new_at,
        usual_gap_hours=n.usual_gap.total_seconds() / 3600 if n.usual_gap else None,
        off_site_redirects=dict(n.off_site_redirects),
        warnings=lines,
    )
