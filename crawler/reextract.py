"""Re-reading kept pages: today's extraction over the WARC records of past fetches.

For each article, the record of its latest archived fetch is read back (a revisit
record leads to the record that holds its payload), decoded, and extracted with the
source's current rules. A new version is stored only where the text differs from
the current one, its `extractor` saying which code produced it. No network.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, and_, func, select

from crawler.capture.content import ContentError
from crawler.capture.warc import REVISIT, WarcReadError
from crawler.extract.article import Article as ExtractedArticle
from crawler.extract.errors import NoArticle
from crawler.extract.rules import ExtractionRules
from crawler.pool.workers import WorkerFailed, WorkerPool
from crawler.store.batch import store_reextractions
from crawler.store.engine import database_errors
from crawler.store.models import Article, Fetch, Source
from crawler.store.records import StoredFetch, first_with_payload


@dataclass(frozen=True, slots=True)
class KeptPage:
    article_id: int
    article_url: str
    source_key: str
    url: str
    fetched_at: datetime
    warc_file: str
    warc_offset: int
    payload_digest: str | None


@dataclass
class Outcome:
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    unreadable: list[str] = field(default_factory=list)
    """One line per record that could not be read or extracted: file, offset, why."""


def kept_pages(
    engine: Engine, source: str | None = None, since: datetime | None = None
) -> list[KeptPage]:
    """Each article's latest fetch whose full response is in a WARC file."""
    archived = and_(
        Fetch.outcome.in_(("new", "changed", "unchanged")), Fetch.warc_file.is_not(None)
    )
    latest = (
        select(Fetch.article_id, func.max(Fetch.fetched_at).label("at"))
        .where(archived)
        .group_by(Fetch.article_id)
        .subquery()
    )
    query = (
        select(
            Article.id,
            Article.url,
            Source.key,
            Fetch.url,
            Fetch.fetched_at,
            Fetch.warc_file,
            Fetch.warc_offset,
            Fetch.payload_digest,
        )
        .join(latest, latest.c.article_id == Article.id)
        .join(
            Fetch, and_(Fetch.article_id == Article.id, Fetch.fetched_at == latest.c.at, archived)
        )
        .join(Source, Source.id == Article.source_id)
        .order_by(Article.id)
    )
    if source is not None:
        query = query.where(Source.key == source)
    if since is not None:
        query = query.where(Fetch.fetched_at >= since)
    with database_errors(engine.url), engine.connect() as connection:
        pages: dict[int, KeptPage] = {}
        for article_id, url, key, fetch_url, at, file, offset, digest in connection.execute(query):
            if file is not None and offset is not None:  # two fetches at one instant: keep one
                pages.setdefault(
                    article_id, KeptPage(article_id, url, key, fetch_url, at, file, offset, digest)
                )
    return list(pages.values())


def reextract(
    engine: Engine,
    warc_dir: Path,
    pages: list[KeptPage],
    rules_for: Callable[[str], ExtractionRules],
    step: Callable[[], None] = lambda: None,
    workers: int = 0,
) -> Outcome:
    """Extract the pages again and store what changed, in the order given.

    With `workers`, records are read and extracted in that many processes, and the
    results stored here, in order; a page whose worker dies or hangs is reported with
    the others that could not be extracted. 0 does it all in this process.
    """
    outcome = Outcome()
    loop = asyncio.new_event_loop()  # its own: a caller's loop (a test's reactor) stays as it is
    try:
        loop.run_until_complete(
            _reextract(engine, warc_dir, pages, rules_for, step, workers, outcome)
        )
    finally:
        loop.close()
    return outcome


Extracted = ExtractedArticle | str
"""A page's article, or why there is none (one line, with the record's place)."""
KEPT = "crawler.capture.kept:extract_kept"  # imported by the workers; here only without them
IN_FLIGHT = 4  # pages per worker handed out ahead of the one being stored
BATCH = 100  # pages stored in one transaction
TIMEOUT = 120.0  # seconds a page may take in a worker
_EXPECTED = (NoArticle, WarcReadError, ContentError)


async def _reextract(
    engine: Engine,
    warc_dir: Path,
    pages: list[KeptPage],
    rules_for: Callable[[str], ExtractionRules],
    step: Callable[[], None],
    workers: int,
    outcome: Outcome,
) -> None:
    pool = None
    if workers > 0:
        pool = WorkerPool(
            KEPT, workers, TIMEOUT,
            expected=tuple(f"{kind.__module__}:{kind.__qualname__}" for kind in _EXPECTED),
        )  # fmt: skip

    async def extract(path: Path, offset: int, rules: ExtractionRules, url: str) -> object:
        if pool is None:
            from crawler.capture.kept import extract_kept  # (the workers' import, else)

            return extract_kept(str(path), offset, rules, url=url)
        return await pool.run(str(path), offset, rules, url=url)

    async def extracted(page: KeptPage) -> Extracted:
        where = f"{warc_dir / page.warc_file} at offset {page.warc_offset}"
        rules = rules_for(page.source_key)
        try:
            result = await extract(warc_dir / page.warc_file, page.warc_offset, rules, page.url)
            if result == REVISIT:  # its payload is in an earlier record: read that one
                original = _original(engine, warc_dir, page)
                result = await extract(
                    warc_dir / original.warc_file, original.warc_offset, rules, page.url
                )
            assert isinstance(result, ExtractedArticle)
            return result
        except (WarcReadError, ContentError) as exc:
            return f"{exc}; skipped"
        except NoArticle as exc:
            return f"{where}: no article: {exc}"
        except WorkerFailed as exc:
            return f"{where}: not extracted: {exc}"

    window = IN_FLIGHT * pool.size if pool is not None else 1
    try:
        ahead: deque[asyncio.Task[Extracted]] = deque()
        queue = iter(pages)
        for page in queue:  # a window of pages being extracted, stored in order
            ahead.append(asyncio.ensure_future(extracted(page)))
            if len(ahead) >= window:
                break
        settled = _Settled(engine, outcome)
        for page in pages:
            result = await ahead.popleft()
            following = next(queue, None)
            if following is not None:
                ahead.append(asyncio.ensure_future(extracted(following)))
            settled.add(page, result)
            step()
        settled.flush()
    finally:
        if pool is not None:
            pool.close()


class _Settled:
    """What extraction made of each page, stored a batch at a time, in page order."""

    def __init__(self, engine: Engine, outcome: Outcome) -> None:
        self.engine, self.outcome = engine, outcome
        self.pending: list[tuple[KeptPage, ExtractedArticle]] = []

    def add(self, page: KeptPage, result: Extracted) -> None:
        if isinstance(result, str):
            self.outcome.unreadable.append(result)
            return
        self.pending.append((page, replace(result, url=page.article_url)))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        stored = store_reextractions(
            self.engine, [(page.article_id, article, page.fetched_at) for page, article in batch]
        )
        for (page, _), result in zip(batch, stored, strict=True):
            if result.outcome == "unchanged":
                self.outcome.unchanged += 1
            else:
                self.outcome.changed.append(page.article_url)


def _original(engine: Engine, warc_dir: Path, page: KeptPage) -> StoredFetch:
    """The earlier record holding the payload of the page's revisit record."""
    original = first_with_payload(engine, page.payload_digest or "")
    if original is None or (original.warc_file, original.warc_offset) == (
        page.warc_file,
        page.warc_offset,
    ):
        raise WarcReadError(
            f"{warc_dir / page.warc_file} at offset {page.warc_offset}: a revisit record whose "
            "original is not in the archive"
        )
    return original
