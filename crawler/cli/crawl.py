"""`kgnews crawl`: archive the sources."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crawler.cli.options import db_option, open_archive
from crawler.errors import UserError
from crawler.frontier import RECHECK_MODES


@click.command()
@click.argument("keys", nargs=-1, metavar="[KEY]...")
@click.option(
    "--sources",
    "sources_file",
    metavar="FILE",
    help="A sources file instead of the shipped registry.",
)
@db_option
@click.option(
    "-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO) besides the progress line."
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting, as scrapy crawl -s does (e.g. -s DOWNLOAD_DELAY=2).",
)
@click.option(
    "--recheck",
    type=click.Choice(RECHECK_MODES),
    default="due",
    show_default=True,
    help="Known articles to fetch again: those due by their age, all of them, or none.",
)
@click.option(
    "--warc-dir",
    metavar="DIR",
    help="Keep raw pages in WARC files here [default: $KGNEWS_WARC_DIR, else beside the "
    "SQLite file, else ./kgnews-warc].",
)
@click.option("--no-warc", is_flag=True, help="Do not keep raw pages.")
@click.option("--max-pages", type=click.IntRange(min=1), help="End the run after N pages.")
@click.option(
    "--max-minutes",
    type=click.FloatRange(min=0, min_open=True),
    help="End the run after M minutes.",
)
def crawl(
    keys: tuple[str, ...],
    sources_file: str | None,
    db: str | None,
    verbose: bool,
    overrides: tuple[str, ...],
    recheck: str,
    warc_dir: str | None,
    no_warc: bool,
    max_pages: int | None,
    max_minutes: float | None,
) -> None:
    """Crawl the shipped Kyrgyz sources (or those named, or those in FILE) into the archive.

    Finds articles in each source's feeds, sitemaps and listing pages, fetches them
    politely (robots.txt, Crawl-delay, one request at a time per site), extracts
    them and stores every new version. Known articles are fetched again when due
    (by age: every 15 min when under 3 h old … every 3 days under 30 days), with
    conditional requests. A source another crawl is working on is left to it.
    Ends with a summary per source; the exit status is 1 if a source could not be
    reached at all, 0 otherwise (also when everything was already running).
    """
    from crawler.crawl import run_crawl
    from crawler.sources.registry import load_registry

    sources = load_registry(sources_file).select(list(keys))
    settings: dict[str, object] = {
        "LOG_LEVEL": "INFO" if verbose else "CRITICAL",
        "KGNEWS_RECHECK": recheck,
    }
    if warc_dir and Path(warc_dir).exists() and not Path(warc_dir).is_dir():
        raise UserError(f"--warc-dir {warc_dir} is a file: give a directory")
    if no_warc or warc_dir:
        settings["KGNEWS_WARC_DIR"] = "" if no_warc else warc_dir
    if max_pages:
        settings["KGNEWS_MAX_PAGES"] = max_pages
    if max_minutes:
        settings["CLOSESPIDER_TIMEOUT"] = max_minutes * 60
    for override in overrides:
        name, equals, value = override.partition("=")
        if not equals or not name.strip():
            raise UserError(f"-s takes NAME=VALUE, not {override!r}")
        settings[name.strip()] = value
    thresholds(settings)  # a mistyped threshold is a user's mistake, said before crawling
    engine = open_archive(db, migrate_if_empty=True)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    result = run_crawl(sources, url, settings)
    for key, run_id in result.already_running.items():
        click.echo(f"kgnews: {key} already running (run {run_id}); left to it", err=True)
    if result.warc_error:
        click.echo(f"kgnews: error: {result.warc_error}; the crawl stopped", err=True)
    for source in result.unreachable:
        click.echo(f"kgnews: {source.key} unreachable: {source.connection_error}", err=True)
    if result.sources and len(result.unreachable) == len(result.sources):
        click.echo(
            "kgnews: no source could be reached (is this machine offline?); `kgnews demo` "
            "crawls bundled mirrors of the sources with no network",
            err=True,
        )
    if result.database_lost:
        click.echo(
            f"kgnews: error: the database went away and did not come back in time "
            f"({result.database_lost}); the crawl stopped: {result.not_recorded} fetched "
            "pages were not recorded and are fetched again by the next run",
            err=True,
        )
    if result.close_reason == "closespider_timeout" and max_minutes:
        click.echo(
            f"kgnews: the time limit (--max-minutes {max_minutes:g}) ended the run; "
            "what is left is crawled next time",
            err=True,
        )
    if result.write_errors:
        click.echo(
            f"kgnews: error: the database refused the rows of {result.write_errors} pages "
            f"(recorded as error fetches where it took those); the first: {result.write_error}",
            err=True,
        )
    if result.not_recorded and not result.database_lost:
        click.echo(
            f"kgnews: error: {result.not_recorded} fetched pages were not recorded at all "
            "and are fetched again by the next run",
            err=True,
        )
    if result.lock_lost:
        click.echo(
            f"kgnews: run #{result.run_id} stopped: another crawl took over its sources "
            "(this one had missed its heartbeats)",
            err=True,
        )
    if result.health_error:
        click.echo(f"kgnews: source health not recorded: {result.health_error}", err=True)
    for key, lines in result.health.items():
        for line in lines:
            click.echo(f"kgnews: health: {key}: {line}", err=True)
    if result.stop_signals:
        archived = sum(
            s.outcomes.get("new", 0) + s.outcomes.get("changed", 0) for s in result.sources
        )
        if len(result.stop_signals) == 1:
            click.echo(
                f"kgnews: interrupted: {archived} articles archived, run #{result.run_id}", err=True
            )
        else:
            click.echo(
                f"kgnews: stopped at once: {archived} articles archived; run #{result.run_id} "
                "is left 'running' and the next crawl marks it interrupted",
                err=True,
            )
        sys.exit(128 + result.stop_signals[0])  # 130 for SIGINT, 143 for SIGTERM
    sys.exit(result.exit_code)


def thresholds(settings: dict[str, object]) -> None:
    """Refuse KGNEWS_HEALTH_* values that are not numbers of the right kind."""
    from crawler.health.judge import Thresholds

    try:
        Thresholds.from_settings(lambda name, default: settings.get(name, default))
    except ValueError as exc:
        raise UserError(f"a KGNEWS_HEALTH_* setting is not a number: {exc}") from None
