"""What docs/schema.md says of each table and column, and the queries of docs/queries.sql.

Both files travel inside the package when installed from a wheel (crawler/_docs/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from crawler.bundled import bundled
from crawler.store.documented import Named, documented_queries


def docs_dir() -> Path:
    return bundled("_docs", "docs")


@dataclass
class TableDoc:
    description: str
    columns: dict[str, str] = field(default_factory=dict)


def table_docs(schema: Path | None = None) -> dict[str, TableDoc]:
    """Each `## table` section of the schema: its first paragraph and its column table."""
    text = (schema or docs_dir() / "schema.md").read_text(encoding="utf-8")
    tables: dict[str, TableDoc] = {}
    for section in re.split(r"(?m)^## ", text)[1:]:
        heading, _, body = section.partition("\n")
        if not re.fullmatch(r"[a-z_]+", heading.strip()):
            continue
        paragraphs = [p for p in body.strip().split("\n\n") if p.strip()]
        doc = TableDoc(_plain(paragraphs[0]) if paragraphs else "")
        for row in re.findall(r"(?m)^\| (`[^|]+`) \| (.+) \|$", body):
            for column in re.findall(r"`([a-z_]+)`", row[0]):
                doc.columns[column] = _plain(row[1])
        tables[heading.strip()] = doc
    for view, description in re.findall(r"(?m)^- `([a-z_]+)`: (.+(?:\n  .+)*)", text):
        tables.setdefault(view, TableDoc(_plain(description)))
    return tables


def sqlite_queries(queries: Path | None = None) -> list[tuple[Named, str]]:
    """The documented queries that run on SQLite, each with its description."""
    path = queries or docs_dir() / "queries.sql"
    return [
        (named, _description(named.comment))
        for named in documented_queries(path)
        if named.dialect != "postgresql"
    ]


def _description(comment: str) -> str:
    """A query's first sentence: the rest is for readers of the SQL (how it runs)."""
    first = re.split(r"(?<=[.:])\s+(?=\(?[A-Z])", _plain(comment), maxsplit=1)[0]
    return first.removesuffix(":")


def _plain(markdown: str) -> str:
    return " ".join(markdown.replace("`", "").split())
