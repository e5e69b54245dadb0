"""`kgnews search` and `kgnews export`: the archive for readers and corpus builders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from crawler.cli.options import check_source, db_option, parse_since, read_archive
from crawler.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy import Engine


@click.command()
@click.argument("query")
@click.option("--source", metavar="KEY", help="Only this source.")
@click.option("--since", metavar="DATE", help="Only articles published (or first seen) since DATE.")
@click.option("--all-versions", is_flag=True, help="Search every version, not only current texts.")
@click.option("--exact", is_flag=True, help="Whole words only: Бишкек finds Бишкек, not Бишкекте.")
@click.option(
    "-n",
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="At most this many articles.",
)
@db_option
def search(
    query: str,
    source: str | None,
    since: str | None,
    all_versions: bool,
    exact: bool,
    limit: int,
    db: str | None,
) -> None:
    """Search titles and bodies; best matches first, with a snippet.

    \b
    How words match:
    - a word finds its inflected forms: Бишкек finds Бишкекте, Бишкектин, Бишкекке;
      шайлоо finds шайлоосу. Type the stem (the word without endings).
    - a final к or п also finds г or б: китеп finds китеби, жүрөк finds жүрөгү.
    - words of one or two letters, and numbers, match only themselves; so does every
      word with --exact.
    - case and look-alike letters do not matter (ѳ finds ө, ӊ finds ң).
    - every word must occur; double quotes make a phrase: kgnews search '"жаңы көпүрө"'.
    """
    from crawler.store.search import MARK
    from crawler.store.search import search as run

    engine = read_archive(db)
    check_source(engine, source)
    hits = run(
        engine,
        query,
        source=source,
        since=parse_since(since),
        all_versions=all_versions,
        exact=exact,
        limit=limit,
    )
    colour = sys.stdout.isatty()
    console = Console(width=120, highlight=False, no_color=not colour)
    if not hits:
        click.echo(f"no articles match {query!r}")
        return
    for number, hit in enumerate(hits, 1):
        when = hit.published_at.strftime("%Y-%m-%d") if hit.published_at else "undated"
        version = "" if hit.current else f" (version {hit.version}, since changed)"
        console.print(Text(f"{number}. [{hit.source}] {hit.title} · {when}{version}", style="bold"))
        console.print(Text(f"   {hit.url}"))
        console.print(_snippet(hit.snippet, MARK, colour))


def _snippet(snippet: str, mark: tuple[str, str], colour: bool) -> Text:
    """The snippet, its matches highlighted on a terminal and kept in [brackets] otherwise."""
    line = Text("   ")
    rest = " ".join(snippet.split())
    if not colour:
        return line.append(rest)
    while mark[0] in rest and mark[1] in rest:
        before, _, after = rest.partition(mark[0])
        found, _, rest = after.partition(mark[1])
        line.append(before)
        line.append(found, style="bold yellow")
    line.append(rest)
    return line


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet", "sqlite"]),
    default="jsonl",
    show_default=True,
    help="jsonl, csv, parquet: one record per version; sqlite: the whole archive copied into "
    "a new SQLite file (what `kgnews serve` and Datasette read).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Where to write [default: standard output; Parquet needs a file].",
)
@click.option("--source", metavar="KEY", help="Only this source.")
@click.option("--since", metavar="DATE", help="Only articles published (or first seen) since DATE.")
@click.option("--language", metavar="CODE", help="Only versions in this language, e.g. ky.")
@click.option(
    "--all-versions", is_flag=True, help="Every version, not only the current one of each article."
)
@db_option
def export(
    fmt: str, output: str | None, source: str | None, since: str | None, language: str | None,
    all_versions: bool, db: str | None,
) -> None:  # fmt: skip
    """Export article versions, one record each with its metadata, streamed in constant memory.

    With --format sqlite, the whole archive instead (every table, every version), e.g. a
    PostgreSQL archive for `kgnews serve`: kgnews export --format sqlite -o copy.sqlite3.
    """
    from crawler import export as ex

    engine = read_archive(db)
    check_source(engine, source)
    if fmt == "sqlite":
        given = [name for name, value in (("--source", source), ("--since", since),
                 ("--language", language), ("--all-versions", all_versions)) if value]  # fmt: skip
        if given:
            raise UserError(f"--format sqlite copies the whole archive: drop {', '.join(given)}")
        if output in (None, "-"):
            raise UserError("--format sqlite needs a file: give --output FILE")
        _copy(engine, Path(str(output)))
        return
    filters = {
        "source": source,
        "since": parse_since(since),
        "language": language,
        "all_versions": all_versions,
    }
    to_stdout = output in (None, "-")
    if fmt == "parquet" and to_stdout:
        raise UserError("Parquet needs a file: give --output FILE")
    total = None if to_stdout else ex.count(engine, **filters)  # for the bar, off on stdout
    columns = (
        TextColumn(f"exporting {fmt}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    progress = Progress(*columns, console=Console(stderr=True), transient=True, disable=to_stdout)
    with progress:
        task = progress.add_task("rows", total=total)

        def step() -> None:
            progress.advance(task)

        rows = ex.records(engine, **filters)
        if to_stdout:
            writer = ex.write_jsonl if fmt == "jsonl" else ex.write_csv
            writer(rows, sys.stdout, step)
            return
        target = Path(str(output))
        with ex.atomic(target) as partial:
            if fmt == "parquet":
                ex.write_parquet(rows, partial, step)
            else:
                with partial.open("w", encoding="utf-8", newline="") as out:
                    (ex.write_jsonl if fmt == "jsonl" else ex.write_csv)(rows, out, step)
    click.echo(f"{target}: {total} records", err=True)


def _copy(engine: Engine, target: Path) -> None:
    from crawler.store.copy import copy_archive

    console = Console(stderr=True)
    with console.status("copying") as status:
        counts = copy_archive(
            engine, target, lambda table, rows: status.update(f"copying {table} ({rows} rows)")
        )
    summary = ", ".join(f"{rows} {table}" for table, rows in counts.items() if rows)
    click.echo(f"{target}: {summary}", err=True)
