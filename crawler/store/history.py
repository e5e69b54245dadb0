"""An article's versions, read back: for `kgnews history` and `kgnews diff`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from crawler.errors import UserError
from crawler.store.engine import database_errors
from crawler.store.models import Article, ArticleVersion, Fetch
from crawler.urls import canonicalize


@dataclass(frozen=True)
class Version:
    number: int
    fetched_at: datetime
    title: str
    body: str
    word_count: int
    content_hash: str
    extractor: str

    @property
    def paragraphs(self) -> list[str]:
        return self.body.split("\n") if self.body else []


def find_article(engine: Engine, url: str) -> tuple[str, list[Version]]:
    """The article a URL names (its canonical URL, a variant of it, or a URL once fetched
    for it), and its versions, oldest first. A UserError when there is none."""
    candidates = {url.strip(), canonicalize(url), canonicalize(url, trailing_slash=True)}
    query = (
        select(Article.id, Article.url)
        .outerjoin(Fetch, Fetch.article_id == Article.id)
        .where(or_(Article.url.in_(candidates), Fetch.url.in_(candidates)))
        .limit(1)
    )
    with database_errors(engine.url), Session(engine) as session:
        row = session.execute(query).first()
        if row is None:
            raise UserError(f"no article with URL {url} in the archive (see `kgnews stats`)")
        versions = session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == row.id)
            .order_by(ArticleVersion.version)
        )
        return row.url, [
            Version(
                v.version, v.fetched_at, v.title, v.body, v.word_count, v.content_hash, v.extractor
            )
            for v in versions
        ]


def restores(versions: list[Version], index: int) -> int | None:
    """The earlier version whose text `versions[index]` brings back, if any (A → B → A)."""
    current = versions[index]
    for earlier in versions[: index - 1]:
        if earlier.content_hash == current.content_hash:
            return earlier.number
    return None
