"""An article page: its versions, and the whole text of one with the changes since another.

Pure: it takes the rows, returns what the template shows (no Datasette, no SQL driver).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.store.history import Version, restores
from crawler.textdiff import ParagraphChange, Segment, diff_paragraphs, diff_words

VERSIONS_SQL = """
SELECT a.url, s.key, s.name, v.version, v.fetched_at, v.title, v.body, v.word_count,
       v.content_hash, v.extractor
  FROM articles a
  JOIN sources s ON s.id = a.source_id
  JOIN article_versions v ON v.article_id = a.id
 WHERE a.id = (SELECT id FROM articles WHERE url = :url
               UNION ALL SELECT article_id FROM fetches WHERE url = :url LIMIT 1)
 ORDER BY v.version
"""


@dataclass(frozen=True)
class Row:
    """A version in the list, with what changed from the one before."""

    version: Version
    change: str


@dataclass(frozen=True)
class Page:
    url: str
    source: str
    rows: list[Row]
    older: Version | None
    """The version compared from (None: the article has one version)."""
    newer: Version
    title: list[Segment]
    paragraphs: list[ParagraphChange]

    @property
    def changed(self) -> bool:
        return any(s.kind != "same" for p in self.paragraphs for s in p.segments) or any(
            s.kind != "same" for s in self.title
        )


class NotFound(LookupError):
    pass


def article_page(
    rows: list[tuple[object, ...]], older: int | None = None, newer: int | None = None
) -> Page:
    """The page for VERSIONS_SQL's rows: `newer` (default the latest) beside `older`
    (default the one before it)."""
    if not rows:
        raise NotFound("no article with this URL in the archive")
    url, _key, name = (str(value) for value in rows[0][:3])
    versions = [_version(row) for row in rows]
    numbers = [v.number for v in versions]
    to = newer if newer in numbers else numbers[-1]
    start = older if older in numbers and older is not None and older < to else None
    if start is None and to > numbers[0]:
        start = numbers[numbers.index(to) - 1]
    b = versions[numbers.index(to)]
    a = versions[numbers.index(start)] if start is not None else None
    listed = [Row(v, _change(versions, i)) for i, v in enumerate(versions)]
    base = a or b  # one version: its whole text, nothing marked
    return Page(
        url,
        name,
        listed,
        a,
        b,
        diff_words(base.title, b.title),
        diff_paragraphs(base.paragraphs, b.paragraphs, keep_same=True),
    )


def _change(versions: list[Version], index: int) -> str:
    if index == 0:
        return "first"
    back = restores(versions, index)
    title = " · title changed" if versions[index].title != versions[index - 1].title else ""
    return (f"restores version {back}" if back else "edited") + title


def _time(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _version(row: tuple[object, ...]) -> Version:
    number, fetched_at, title, body, words, content_hash, extractor = row[3:10]
    return Version(
        int(str(number)), _time(fetched_at), str(title), str(body), int(str(words)),
        str(content_hash), str(extractor),
    )  # fmt: skip
