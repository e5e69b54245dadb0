"""Datasette's metadata for an archive: what the schema docs say, the documented queries,
and a Kyrgyz-aware search, for the database named `name`."""

from __future__ import annotations

from typing import Any

from crawler import __version__
from crawler.serve.docs import sqlite_queries, table_docs
from crawler.store.search import datasette_sql

SEARCH_DESCRIPTION = (
    "Current texts, best matches first. A word finds its inflected forms (Бишкек finds "
    "Бишкекте, Бишкектин; китеп finds китеби); double quotes make a phrase."
)


def metadata(name: str) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table, doc in table_docs().items():
        tables[table] = {"description": doc.description}
        if doc.columns:
            tables[table]["columns"] = doc.columns
    tables.setdefault("article_versions", {}).update(
        {"fts_table": "version_search", "fts_pk": "id"}
    )
    queries: dict[str, Any] = {
        "search": {
            "title": "Search the archive",
            "sql": datasette_sql(),
            "description": SEARCH_DESCRIPTION,
        }
    }
    for named, description in sqlite_queries():
        queries[named.name] = {"sql": named.sql, "description": description}
    return {
        "title": "kgnews archive",
        "description": (
            "Kyrgyz-language news, every version of every article. Read-only. Click an "
            "article's URL for its versions and what changed between them."
        ),
        "about": f"kgnews {__version__}",
        "databases": {name: {"tables": tables, "queries": queries}},
    }
