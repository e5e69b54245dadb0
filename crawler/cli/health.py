"""`kgnews health`: each source's numbers after its latest crawl, and what looks wrong."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.options import db_option, read_archive
from crawler.errors import UserError
from crawler.health.report import archived_sources, latest_health


@click.command()
@db_option
@click.argument("keys", nargs=-1, metavar="[KEY…]")
@click.option(
    "--fail-on-warning",
    is_flag=True,
    help="Exit with status 1 when any source has a warning (for cron and systemd alerts).",
)
def health(db: str | None, keys: tuple[str, ...], fail_on_warning: bool) -> None:
    """Each source's health after its latest crawl: pages, outcomes, how often its body
    selector matched, body words against its own earlier runs, languages, when its last
    new article came. A source whose numbers break from its own history gets a warning
    line saying what changed (thresholds: KGNEWS_HEALTH_* settings, docs/health.md)."""
    engine = read_archive(db)
    rows = latest_health(engine, list(keys))
    missing = sorted(set(keys) - {key for key, _ in rows})
    if missing:
        known = set(archived_sources(engine))
        unknown = [key for key in missing if key not in known]
        if unknown:
            raise UserError(
                f"unknown source {', '.join(unknown)}: the archive has {', '.join(sorted(known))}"
            )
        raise UserError(f"no health recorded for {', '.join(missing)}: crawl it first")
    if not rows:
        click.echo("no crawl has been measured yet: run `kgnews crawl` first")
        return
    table = Table(
        "source", "measured (UTC)", "links", "pages", "new", "changed", "unchanged", "304",
        "refused", "selector", "words (before)", "languages", "last new",
    )  # fmt: skip
    for key, row in rows:
        selector = f"{row.selector_hits}/{row.selector_pages}" if row.selector_pages else "-"
        words = f"{row.median_words:.0f}" if row.median_words is not None else "-"
        if row.trailing_median_words is not None:
            words += f" ({row.trailing_median_words:.0f})"
        table.add_row(
            key, row.measured_at.strftime("%Y-%m-%d %H:%M"), str(row.links_found),
            str(row.pages_fetched), str(row.new_count), str(row.changed_count),
            str(row.unchanged_count), str(row.not_modified_count),
            str(row.skipped_count + row.error_count), selector, words,
            ", ".join(f"{lang} {n}" for lang, n in sorted(row.languages.items())) or "-",
            row.last_new_at.strftime("%Y-%m-%d %H:%M") if row.last_new_at else "-",
        )  # fmt: skip
    Console(width=170).print(table)
    warned = [(key, line) for key, row in rows for line in row.warnings]
    for key, line in warned:
        click.echo(f"warning: {key}: {line}")
    if not warned:
        click.echo(f"{len(rows)} sources, no warnings")
    if warned and fail_on_warning:
        sys.exit(1)
