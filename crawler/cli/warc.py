"""`kgnews reextract` and `kgnews warc index`: the raw pages kept in WARC files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import URL

from crawler.cli.options import F, db_option, open_archive, parse_since
from crawler.errors import UserError


def warc_dir_option(function: F) -> F:
    return click.option(
        "--warc-dir",
        metavar="DIR",
        help="Where the WARC files are [default: $KGNEWS_WARC_DIR, else beside the SQLite "
        "file, else ./kgnews-warc].",
    )(function)


def resolve_warc_dir(option: str | None, db_url: URL) -> Path:
    from crawler.capture.place import default_warc_dir

    chosen = option or os.environ.get("KGNEWS_WARC_DIR")
    directory = Path(chosen) if chosen else default_warc_dir(db_url)
    if not directory.is_dir():
        raise UserError(f"no WARC directory at {directory}: give --warc-dir")
    return directory


@click.command()
@click.option("--source", "source_key", metavar="KEY", help="Only this source's articles.")
@click.option("--since", metavar="DATE", help="Only pages fetched since DATE (UTC unless it says).")
@click.option("--sources", "sources_file", metavar="FILE", help="Sources file with today's rules.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    metavar="N",
    help="Extraction processes [default: one per core; 0: in this process].",
)
@warc_dir_option
@db_option
def reextract(
    source_key: str | None,
    since: str | None,
    sources_file: str | None,
    workers: int | None,
    warc_dir: str | None,
    db: str | None,
) -> None:
    """Extract the kept raw pages again with today's code and rules; no network.

    For each article, the WARC record of its latest archived fetch is read back and
    extracted; a new version is stored only where the text differs from the current
    one. Records that cannot be read are reported with their file and offset and
    skipped (the exit status is then 1); nothing else changes for them.
    """
    from crawler.extract.rules import NO_RULES
    from crawler.pool.workers import default_size
    from crawler.reextract import kept_pages
    from crawler.reextract import reextract as run
    from crawler.sources.registry import load_registry

    engine = open_archive(db)
    directory = resolve_warc_dir(warc_dir, engine.url)
    registry = load_registry(sources_file)
    known = set(registry.source_keys())
    if source_key is not None and source_key not in known:
        registry.get(source_key)  # says which keys there are
    pages = kept_pages(engine, source_key, parse_since(since))
    console = Console(stderr=True)
    columns = (
        TextColumn("re-extracting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("pages", total=len(pages))
        outcome = run(
            engine, directory, pages,
            lambda key: registry.get(key).rules if key in known else NO_RULES,
            lambda: progress.advance(task),
            default_size() if workers is None else workers,
        )  # fmt: skip
    for line in outcome.unreadable:
        click.echo(f"kgnews: {line}", err=True)
    click.echo(
        f"{len(pages)} pages re-read: {len(outcome.changed)} new versions, "
        f"{outcome.unchanged} unchanged, {len(outcome.unreadable)} unreadable"
    )
    for url in outcome.changed:
        click.echo(f"  changed: {url}")
    sys.exit(1 if outcome.unreadable else 0)


@click.group()
def warc() -> None:
    """The WARC files of raw pages."""


@warc.command("index")
@warc_dir_option
@click.option("-o", "--output", metavar="FILE", help="Where to write [default: DIR/index.cdxj].")
@db_option
def index(warc_dir: str | None, output: str | None, db: str | None) -> None:
    """Write a CDXJ index of the WARC files, for pywb or ReplayWeb.page."""
    from cdxj_indexer.main import write_cdx_index

    from crawler.store.engine import resolve_url

    directory = resolve_warc_dir(warc_dir, resolve_url(db))
    target = Path(output) if output else directory / "index.cdxj"
    files = sorted(str(p) for p in _warc_files(directory))
    if not files:
        raise UserError(f"{directory} holds no .warc.gz files")
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            write_cdx_index(out, files, {"sort": True, "dir_root": str(directory)})
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"cannot write {target}: {exc.strerror}") from None
    lines = sum(1 for _ in target.open(encoding="utf-8"))
    click.echo(f"{target}: {lines} records from {len(files)} WARC files")


def _warc_files(directory: Path) -> list[Path]:
    """The WARC files in `directory` and in its folders one level down (a crawl node's
    each, docs/scaling.md; a folder linked in is followed), never deeper."""
    found = list(directory.glob("*.warc.gz"))
    for folder in sorted(directory.iterdir()):
        if folder.is_dir() and not folder.name.startswith("."):
            found.extend(folder.glob("*.warc.gz"))
    return found
