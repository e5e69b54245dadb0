"""The database as the frontier: which articles are known, and which are due again.

An article's age is counted from the later of its publication (or first sighting)
and its last change, so an article edited today is watched like a fresh one. Its
source's revisit policy turns that age into an interval; it is due when its last
fetch is that long ago. `--recheck all` makes every known article due, `none` none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, or_, select

from crawler.sources.model import RevisitPolicy
from crawler.store.engine import database_errors
from crawler.store.models import Article, Fetch, Source

RECHECK_MODES = ("due", "all", "none")


@dataclass(frozen=True, slots=True)
class Known:
    article_id: int
    url: str
    etag: str | None
    last_modified: str | None
    published_at: datetime | None
    first_seen_at: datetime
    last_changed_at: datetime | None
    last_fetched_at: datetime

    @property
    def age_from(self) -> datetime:
        """The moment its age counts from: publication (or first sighting), or last change."""
        born = self.published_at or self.first_seen_at
        return max(born, self.last_changed_at) if self.last_changed_at else born


def is_due(known: Known, policy: RevisitPolicy, now: datetime) -> bool:
    every = policy.interval(now - known.age_from)
    return every is not None and now - known.last_fetched_at >= every


_COLUMNS = (
    Article.id, Article.url, Article.etag, Article.last_modified, Article.published_at,
    Article.first_seen_at, Article.last_changed_at, Article.last_fetched_at,
)  # fmt: skip


class Frontier:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def known(self, source_key: str, urls: list[str]) -> dict[str, Known]:
        """Known articles among `urls`: by their canonical URL, or by a URL once fetched
        for them (a feed's link may differ from the canonical URL the page names)."""
        if not urls:
            return {}
        by_url = (
            select(Article.url.label("seen"), *_COLUMNS)
            .join(Source, Source.id == Article.source_id)
            .where(Source.key == source_key, Article.url.in_(urls))
        )
        by_fetch = (
            select(Fetch.url.label("seen"), *_COLUMNS)
            .join(Article, Article.id == Fetch.article_id)
            .join(Source, Source.id == Article.source_id)
            .where(Source.key == source_key, Fetch.url.in_(urls))
            .distinct()
        )
        found: dict[str, Known] = {}
        with database_errors(self.engine.url), self.engine.connect() as connection:
            for query in (by_url, by_fetch):
                for row in connection.execute(query):
                    found.setdefault(row[0], Known(*row[1:]))
        return found

    def candidates(
        self, source_key: str, policy: RevisitPolicy | None, now: datetime
    ) -> list[Known]:
        """Known articles of the source young enough to be revisited (all when no policy)."""
        query = (
            select(*_COLUMNS)
            .join(Source, Source.id == Article.source_id)
            .where(Source.key == source_key)
            .order_by(Article.id)
        )
        if policy is not None:
            since = now - policy.horizon
            query = query.where(
                or_(
                    func.coalesce(Article.published_at, Article.first_seen_at) >= since,
                    Article.last_changed_at >= since,
                )
            )
        with database_errors(self.engine.url), self.engine.connect() as connection:
            return [Known(*row) for row in connection.execute(query)]
