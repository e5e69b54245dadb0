"""`kgnews stats`: what the archive holds, per source."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.options import db_option, read_archive
from crawler.store.queries import source_totals


@click.command()
@db_option
def stats(db: str | None) -> None:
    """Articles, versions and fetches per source."""
    engine = read_archive(db)
    rows = source_totals(engine)
    table = Table("source", "articles", "versions", "fetches", "errors", "last fetch")
    for row in rows:
        table.add_row(
            row.key,
            str(row.articles),
            str(row.versions),
            str(row.fetches),
            str(row.errors),
            row.last_fetch.strftime("%Y-%m-%d %H:%M UTC") if row.last_fetch else "-",
        )
    if rows:
        table.add_section()
        table.add_row(
            "total",
            str(sum(r.articles for r in rows)),
            str(sum(r.versions for r in rows)),
            str(sum(r.fetches for r in rows)),
            str(sum(r.errors for r in rows)),
            "",
        )
    Console(width=120).print(table)
