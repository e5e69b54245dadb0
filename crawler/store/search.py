"""Full-text search over titles and bodies: FTS5 on SQLite, tsvector on PostgreSQL.

A query is reduced to its words, normalised the way stored text is (look-alike letters
folded, case folded), so a query typed with ѳ or ӊ finds ө or ң, and no character of
it can reach the search syntax: quotes, stars, parentheses and operators are only
separators. Every word must occur; a query in double quotes is a phrase. A word matches
its Kyrgyz inflected forms (`crawler.store.wordforms`) unless the search is exact; both
backends get the same match, built from the same `Query`, so they find the same rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from itertools import product

from sqlalchemy import Engine, text

from crawler.errors import UserError
from crawler.extract.normalize import normalize_text
from crawler.store.engine import database_errors
from crawler.store.types import UTCDateTime
from crawler.store.wordforms import Forms, forms

_WORD = re.compile(r"[^\W_]+")  # letters and digits; '_' separates, as in both indexes
MARK = ("[", "]")
_PHRASE_ALTERNATIVES = 128  # a phrase's spellings are spelled out; past this, words match as typed


@dataclass(frozen=True, slots=True)
class Query:
    words: list[Forms]
    phrase: bool

    @classmethod
    def parse(cls, raw: str, *, exact: bool = False) -> Query:
        folded = normalize_text(raw).casefold()
        words = _WORD.findall(folded)
        if not words:
            raise UserError(f"nothing to search for in {raw!r}: give at least one word")
        stripped = raw.strip()
        phrase = len(stripped) > 1 and stripped[0] == stripped[-1] == '"'
        matched = [forms(word, exact=exact) for word in words]
        if phrase:
            matched = _capped(matched)
        return cls(matched, phrase)

    def fts5(self) -> str:
        """An FTS5 MATCH expression made only of quoted words, stars, AND, OR and +."""
        if self.phrase:
            spellings = product(*(_fts5_terms(word) for word in self.words))
            return " OR ".join(f"({' + '.join(terms)})" for terms in spellings)
        return " AND ".join(f"({' OR '.join(_fts5_terms(word))})" for word in self.words)

    def tsquery(self) -> str:
        """The same match as a PostgreSQL tsquery ('simple' configuration)."""
        joint = " <-> " if self.phrase else " & "
        return joint.join(f"({' | '.join(_ts_terms(word))})" for word in self.words)


def _fts5_terms(word: Forms) -> list[str]:
    star = "*" if word.prefix else ""
    return [f'"{stem}"{star}' for stem in word.stems]


def _ts_terms(word: Forms) -> list[str]:
    star = ":*" if word.prefix else ""
    return [f"'{stem}'{star}" for stem in word.stems]


def _capped(words: list[Forms]) -> list[Forms]:
    """A phrase whose spellings would pass the cap keeps only its first words' alternatives."""
    kept: list[Forms] = []
    spellings = 1
    for word in words:
        if spellings * len(word.stems) > _PHRASE_ALTERNATIVES:
            word = Forms(word.stems[:1], word.prefix)
        spellings *= len(word.stems)
        kept.append(word)
    return kept


@dataclass(frozen=True, slots=True)
class Hit:
    source: str
    url: str
    title: str
    version: int
    current: bool
    published_at: datetime | None
    snippet: str


_FILTERS = {
    "source": "s.key = :source",
    "since": "coalesce(a.published_at, a.first_seen_at) >= :since",
    "current": "a.current_version_id = v.id",
}
_SQLITE = f"""
SELECT s.key AS source, a.url, v.title, v.version, a.current_version_id = v.id AS current,
       a.published_at, snippet(version_search, 1, '{MARK[0]}', '{MARK[1]}', '…', 24) AS snippet
  FROM version_search
  JOIN article_versions v ON v.id = version_search.rowid
  JOIN articles a ON a.id = v.article_id
  JOIN sources s ON s.id = a.source_id
 WHERE version_search MATCH :match{{filters}}
 ORDER BY bm25(version_search), v.id
 LIMIT :limit
"""
_POSTGRES = f"""
SELECT s.key, a.url, v.title, v.version, a.current_version_id = v.id, a.published_at,
       ts_headline('simple', v.body, q.query,
                   'StartSel={MARK[0]}, StopSel={MARK[1]},
                    MaxWords=30, MinWords=12, MaxFragments=1')
  FROM article_versions v
  JOIN articles a ON a.id = v.article_id
  JOIN sources s ON s.id = a.source_id
  CROSS JOIN (SELECT to_tsquery('simple', :tsquery) AS query) q
 WHERE v.search_vector @@ q.query {{filters}}
 ORDER BY ts_rank(v.search_vector, q.query) DESC, v.id
 LIMIT :limit
"""


def datasette_sql(limit: int = 50) -> str:
    """`search` of current texts as one SQLite statement with the parameter :q, matched
    by the SQL function kgnews_match (registered by the Datasette plugin): the same hits."""
    statement = _SQLITE.format(filters=f"\n   AND {_FILTERS['current']}")
    return statement.replace(":match", "kgnews_match(:q)").replace(":limit", str(limit)).strip()


def search(
    engine: Engine,
    raw: str,
    *,
    source: str | None = None,
    since: datetime | None = None,
    all_versions: bool = False,
    exact: bool = False,
    limit: int = 20,
) -> list[Hit]:
    """Articles (current versions, or all with `all_versions`) matching `raw`, best first.

    Words match their inflected forms; with `exact`, only themselves.
    """
    query = Query.parse(raw, exact=exact)
    params: dict[str, object] = {"limit": limit}
    filters = [] if all_versions else [_FILTERS["current"]]
    if source is not None:
        filters.append(_FILTERS["source"])
        params["source"] = source
    if since is not None:
        filters.append(_FILTERS["since"])
        params["since"] = UTCDateTime().process_bind_param(since, engine.dialect)
    if engine.dialect.name == "sqlite":
        statement, params["match"] = _SQLITE, query.fts5()
    else:
        statement = _POSTGRES
        params["tsquery"] = query.tsquery()
    where = "".join(f"\n   AND {clause}" for clause in filters)
    typed = text(statement.format(filters=where)).columns(published_at=UTCDateTime())
    with database_errors(engine.url), engine.connect() as connection:
        rows = connection.execute(typed, params).all()
    return [
        Hit(key, url, title, version, bool(current), published, snippet)
        for key, url, title, version, current, published, snippet in rows
    ]
