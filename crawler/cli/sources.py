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


SHOWN = 3  # paragraphs shown from the start of each body, and of each difference


@sources.command("try")
@click.argument("key")
@click.argument("page")
@click.option("--sources", "sources_file", metavar="FILE", help="A sources file with KEY.")
@click.option(
    "--url", help="The page's address on the site (a saved file's, or a mirror's original)."
)
def try_source(key: str, page: str, sources_file: str | None, url: str | None) -> None:
    """What source KEY's rules extract from PAGE (a saved .html file or a URL), beside
    the generic extraction: which selectors match, title, date, first paragraphs, and
    the paragraphs only one of the two keeps. Fixes an entry after a redesign."""
    from crawler.cli.fetch_page import read_page
    from crawler.sources.trial import try_entry

    source = load_registry(sources_file).get(key)
    data, page_url, content_type = read_page(page, url)
    unknown_address = url is None and not page.startswith(("http://", "https://"))
    trial = try_entry(source, data, page_url, content_type, assume_article=unknown_address)
    echo = click.echo
    echo(f"{source.key} ({source.name}): {trial.url}")
    if unknown_address:
        echo("  article_pattern/hosts: not checked (give the page's address with --url)")
    elif trial.article_id is None:
        echo("  article_pattern/hosts: NOT an article of this source (the crawl would skip it)")
    else:
        echo(f"  article_pattern/hosts: an article, id {trial.article_id}")
    echo("selectors:")
    for name, css, count in trial.selectors:
        state = f"matches {count}" if count else "MATCHES NOTHING"
        echo(f"  {name:16} {css!r}: {state}")
    if not trial.selectors:
        echo("  (none: the entry leaves the page to the generic extraction)")
    for label, outcome in (("with the entry's rules", trial.rules), ("generic", trial.generic)):
        echo(f"{label}:")
        article = outcome.article
        if article is None:
            echo(f"  no article: {outcome.refusal}")
            continue
        echo(f"  title: {article.title}")
        echo(f"  published: {article.published_at.isoformat() if article.published_at else '-'}")
        echo(f"  {len(article.paragraphs)} paragraphs, {article.word_count} words, "
             f"language {article.language or '-'}")  # fmt: skip
        if article.fallback:
            echo(f"  fallback: {article.fallback}; the generic path found the body")
        for paragraph in article.paragraphs[:SHOWN]:
            echo(f"  | {_short(paragraph)}")
    differences = [(w, trial.only_in(w)) for w in ("rules", "generic")]
    if trial.rules.article and trial.generic.article and not any(d for _, d in differences):
        echo("both keep the same paragraphs")
    for which, extra in differences:
        label = "only with the rules" if which == "rules" else "only in the generic"
        if extra:
            echo(f"{label} ({len(extra)} paragraphs):")
            for paragraph in extra[:SHOWN]:
                echo(f"  + {_short(paragraph)}")


def _short(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
