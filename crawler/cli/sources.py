"""`kgnews sources …`: the sources registry."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from crawler.sources.registry import load_registry


@click.group()
def sources() -> None:
    """List the news sources, or check a sources file."""


@sources.command("list")
@click.option(
    "--sources",
    "sources_file",
    metavar="FILE",
    help="A sources file instead of the shipped registry.",
)
def list_sources(sources_file: str | None) -> None:
    """The sources kgnews crawls: key, name, language, and where it finds articles."""
    registry = load_registry(sources_file)
    table = Table(
        "key", "name", "language", "site", "feeds", "sitemaps", "listings", title=registry.origin
    )
    for s in registry.sources:
        table.add_row(
            s.key,
            s.name,
            s.language,
            s.base_url,
            str(len(s.feeds)),
            str(len(s.sitemaps)),
            str(len(s.listings)),
        )
    Console(width=150).print(table)


@sources.command("check")
@click.argument("file")
def check(file: str) -> None:
    """Check a sources file; say which line is wrong, if one is."""
    registry = load_registry(file)
    click.echo(
        f"{file}: {len(registry.sources)} sources, all valid: {', '.join(registry.source_keys())}"
    )
