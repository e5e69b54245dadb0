"""`kgnews demo`: the whole pipeline on the bundled mirrors, with no network."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

QUERY = (
    "SELECT s.key, a.published_at, v.title, v.word_count\n"
    "  FROM articles a\n"
    "  JOIN sources s ON s.id = a.source_id\n"
    "  JOIN article_versions v ON v.id = a.current_version_id\n"
    " ORDER BY a.published_at DESC LIMIT 10;"
)


@click.command()
@click.option(
    "--db",
    "db_path",
    default="kgnews-demo.sqlite3",
    show_default=True,
    metavar="PATH",
    help="The SQLite file to build (an earlier demo archive there is replaced, nothing else).",
)
def demo(db_path: str) -> None:
    """Crawl the bundled mirrors of the Kyrgyz sources, three times, into a SQLite file.

    A look at the whole pipeline with no network: discovery, polite fetching,
    extraction, de-duplication and versioned storage. The mirrors answer for the sites'
    own URLs (https://24.kg/…), which is what the archive stores; between the crawls a
    few articles are edited (a figure corrected, a paragraph added, a title changed, an
    edit taken back), so `kgnews history` and `kgnews diff` have versions to show.
    Running it again builds the same archive afresh.
    """
    from crawler.cli.options import connect
    from crawler.demo.build import DemoIncomplete, build_demo
    from crawler.store.queries import source_totals

    console = Console(width=120, highlight=False)
    path = Path(db_path).expanduser().absolute()
    try:
        built = build_demo(path, say=console.print)
    except DemoIncomplete as incomplete:
        click.echo(f"kgnews: {incomplete}", err=True)
        sys.exit(incomplete.exit_code)
    totals = source_totals(connect(str(path)))
    articles = sum(row.articles for row in totals)
    edited = sorted({edit.url for edit in built.edits if edit.changes_text})
    late = sum(edit.show for edit in built.edits)
    console.print(
        f"\nArchived {articles} articles from {len(built.sources)} sources; {len(edited)} were "
        f"edited between the crawls, and {late} published only before the last. Try:\n"
    )
    db = f"--db {path}"
    for url in edited:
        console.print(f"  kgnews history {url} {db}", soft_wrap=True)
    console.print(f"  kgnews diff {edited[0]} {db}", soft_wrap=True)
    console.print(f"  kgnews search Бишкек {db}", soft_wrap=True)
    console.print(f"  kgnews serve {db}", soft_wrap=True)
    console.print(f'  sqlite3 {path} "{" ".join(QUERY.split())}"\n', soft_wrap=True)
    sys.exit(0 if articles else 1)  # (crawls that did not all finish: DemoIncomplete above)
