"""`kgnews runs`: recent crawl runs."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.options import db_option, read_archive
from crawler.store.runs import recent_runs


@click.command()
@db_option
@click.option("-n", "--limit", default=20, show_default=True, help="How many runs to show.")
def runs(db: str | None, limit: int) -> None:
    """Recent crawl runs: when, status, sources, and what they found."""
    engine = read_archive(db)
    table = Table("run", "started (UTC)", "minutes", "status", "sources", "new", "changed",
                  "unchanged", "304", "skipped", "errors")  # fmt: skip
    for run in recent_runs(engine, limit):
        minutes = (
            f"{(run.finished_at - run.started_at).total_seconds() / 60:.1f}"
            if run.finished_at
            else "-"
        )
        table.add_row(
            str(run.id), run.started_at.strftime("%Y-%m-%d %H:%M:%S"), minutes, run.status,
            ", ".join(run.sources), str(run.new_count), str(run.changed_count),
            str(run.unchanged_count), str(run.not_modified_count), str(run.skipped_count),
            str(run.error_count),
        )  # fmt: skip
    Console(width=150).print(table)
