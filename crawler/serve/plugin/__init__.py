"""The Datasette plugin of kgnews: loaded by `kgnews serve`, and by a plain `datasette`
where kgnews is installed (the `datasette` entry point).

- SQL functions `kgnews_match(q)` and `kgnews_match_exact(q)`: a query as the FTS5 match
  `kgnews search` uses (Kyrgyz inflected forms; whole words). On a kgnews archive the
  table search box (`escape_fts`) matches the same way.
- `/-/article/<database>?url=…&from=N&to=M`: an article's versions and a word-level diff.
- In any table or query, a `url` cell of an archived article links to its page.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import quote, urlencode

import pluggy
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from crawler.errors import UserError
from crawler.serve.article import VERSIONS_SQL, NotFound, article_page
from crawler.store.search import Query

hookimpl = pluggy.HookimplMarker("datasette")
NO_MATCH = '"\u2063"'  # an FTS5 phrase of one invisible separator: matches nothing


def _match(raw: object, *, exact: bool = False) -> str:
    if raw is None:
        return NO_MATCH
    try:
        return Query.parse(str(raw), exact=exact).fts5()
    except UserError:
        return NO_MATCH


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("kgnews_match", 1, _match, deterministic=True)
    conn.create_function(
        "kgnews_match_exact", 1, lambda raw: _match(raw, exact=True), deterministic=True
    )
    if _is_archive(conn):
        conn.create_function("escape_fts", 1, _match, deterministic=True)


def _is_archive(conn: sqlite3.Connection) -> bool:
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'version_search'"
        ).fetchone()
    except sqlite3.Error:
        return False
    return found is not None


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/article/(?P<database>[^/]+)$", article_view)]


async def article_view(datasette: Any, request: Any) -> Response:
    name = request.url_vars["database"]
    try:
        database = datasette.get_database(name)
    except KeyError:
        return Response.html(f"no database {escape(name)}", status=404)
    url = request.args.get("url", "")
    rows = (await database.execute(VERSIONS_SQL, {"url": url})).rows
    try:
        page = article_page(
            [tuple(row) for row in rows], _number(request.args.get("from")),
            _number(request.args.get("to")),
        )  # fmt: skip
    except NotFound as exc:
        return Response.html(f"{escape(str(exc))}: {escape(url)}", status=404)
    link = f"/-/article/{quote(name)}?"
    html = await datasette.render_template(
        "kgnews_article.html",
        {"page": page, "database": name, "link": link, "urlencode": urlencode},
        request=request,
    )
    return Response.html(html)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


@hookimpl
def render_cell(value: object, column: str, database: str, datasette: Any) -> Markup | None:
    if column != "url" or not isinstance(value, str) or not value.startswith("http"):
        return None
    target = f"/-/article/{quote(database)}?{urlencode({'url': value})}"
    return Markup(f'<a href="{escape(target)}">{escape(value)}</a>')
