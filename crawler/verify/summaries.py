"""The summary tables against their definitions, worked out here from the rows.

current_authors must list each article's current authors in order; late_edits must hold
each article's first version after the first fetched more than 24 hours after its
published_at. The database's triggers keep them (migration 0011); a trigger lost to a
migration, or rows written with triggers off, would leave them wrong without a sign.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, select

from crawler.store.models import Article, ArticleVersion, CurrentAuthor, LateEdit
from crawler.verify.rows import stream

LATE = timedelta(hours=24)
T = TypeVar("T")


def summary_problems(connection: Connection, source_id: int | None) -> Iterator[str]:
    """One line per article whose summary rows differ from what its rows say."""
    yield from _authors(connection, source_id)
    yield from _late_edits(connection, source_id)


Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def _of_source(query: Query, source_id: int | None) -> Query:
    return query if source_id is None else query.where(Article.source_id == source_id)


def _authors(connection: Connection, source_id: int | None) -> Iterator[str]:
    current = _of_source(
        select(Article.id, ArticleVersion.authors)
        .join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
        .order_by(Article.id),
        source_id,
    )
    listed = _of_source(
        select(CurrentAuthor.article_id, CurrentAuthor.author)
        .join(Article, Article.id == CurrentAuthor.article_id)
        .order_by(CurrentAuthor.article_id, CurrentAuthor.position),
        source_id,
    )
    wanted = (
        (row.id, names) for row in stream(connection, current) if (names := _names(row.authors))
    )
    found = (
        (article, [author for _a, author in rows])
        for article, rows in groupby(stream(connection, listed), key=itemgetter(0))
    )
    for article, should, does in _side_by_side(wanted, found):
        if should != does:
            yield (
                f"article {article}: current_authors lists {does or []}, "
                f"its current version {should or []}"
            )


def _late_edits(connection: Connection, source_id: int | None) -> Iterator[str]:
    edits = _of_source(
        select(Article.id, Article.published_at, ArticleVersion.fetched_at)
        .join(ArticleVersion, ArticleVersion.article_id == Article.id)
        .where(ArticleVersion.version > 1, Article.published_at.is_not(None))
        .order_by(Article.id),
        source_id,
    )
    held = _of_source(
        select(LateEdit.article_id, LateEdit.first_late_edit_at)
        .join(Article, Article.id == LateEdit.article_id)
        .order_by(LateEdit.article_id),
        source_id,
    )
    late = (
        (row.id, row.fetched_at)
        for row in stream(connection, edits)
        if row.fetched_at - row.published_at > LATE
    )
    wanted = ((article, min(t for _a, t in rows)) for article, rows in groupby(late, itemgetter(0)))
    found = ((row.article_id, row.first_late_edit_at) for row in stream(connection, held))
    for article, should, does in _side_by_side(wanted, found):
        if should != does:
            yield f"article {article}: late_edits says {_when(does)}, its versions {_when(should)}"


def _side_by_side(
    wanted: Iterator[tuple[int, T]], found: Iterator[tuple[int, T]]
) -> Iterator[tuple[int, T | None, T | None]]:
    """Two streams of (article id, value), each in id order, merged by id."""
    left, right = next(wanted, None), next(found, None)
    while left is not None or right is not None:
        if right is None or (left is not None and left[0] < right[0]):
            assert left is not None
            yield left[0], left[1], None
            left = next(wanted, None)
        elif left is None or right[0] < left[0]:
            yield right[0], None, right[1]
            right = next(found, None)
        else:
            yield left[0], left[1], right[1]
            left, right = next(wanted, None), next(found, None)


def _names(authors: object) -> list[str]:
    """The authors a version's JSON value names: the strings of its list."""
    return [a for a in authors if isinstance(a, str)] if isinstance(authors, list) else []


def _when(moment: datetime | None) -> str:
    return "no late edit" if moment is None else f"first late edit at {moment.isoformat()}"
