"""The `kgnews` command. Thin: each subcommand parses options and calls into the packages."""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from crawler import __version__
from crawler.errors import UserError


class UserFacingError(click.ClickException):
    """A UserError on its way out: one line on stderr, exit status 2, no traceback."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        for line in self.format_message().splitlines():  # several mistakes: one line each
            click.echo(f"kgnews: error: {line}", err=True)


class KgnewsGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise UserFacingError(str(exc)) from exc


@click.group(
    cls=KgnewsGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="kgnews")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """kgnews: an archive of Kyrgyz-language news.

    Crawl Kyrgyz news sites into a SQL archive that keeps every version of every
    article; read it back with SQL or the commands below. The database is
    --db URL, else $KGNEWS_DATABASE_URL, else ./kgnews.sqlite3.
    """
    if ctx.invoked_subcommand is None:  # bare `kgnews`: what it can do, and no error
        click.echo(ctx.get_help())


def _register() -> None:
    from crawler.cli import (
        cluster,
        crawl,
        db,
        demo,
        evaluate,
        extract,
        health,
        history,
        query,
        runs,
        serve,
        sources,
        stats,
        verify,
        warc,
    )

    cli.add_command(crawl.crawl)
    cli.add_command(sources.sources)
    cli.add_command(demo.demo)
    cli.add_command(runs.runs)
    cli.add_command(health.health)
    cli.add_command(history.history)
    cli.add_command(history.diff)
    cli.add_command(warc.reextract)
    cli.add_command(warc.warc)
    cli.add_command(query.search)
    cli.add_command(query.export)
    cli.add_command(serve.serve)
    cli.add_command(db.db)
    cli.add_command(verify.verify)
    cli.add_command(stats.stats)
    cli.add_command(extract.extract)
    cli.add_command(extract.clean_text)
    cli.add_command(evaluate.eval_extract)
    cli.add_command(cluster.egg)
    cli.add_command(cluster.schedule)


_register()


class Stopped(BaseException):
    """SIGINT or SIGTERM outside a crawl's own handling (e.g. while starting up)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signum)


def main() -> None:
    # Until a crawl installs Scrapy's handlers (first signal: stop gracefully, second: at
    # once), a signal ends the command with one line, no traceback, 128 + its number.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        cli.main(prog_name="kgnews")
    except Stopped as stopped:
        click.echo(f"kgnews: stopped by {signal.Signals(stopped.signum).name}", err=True)
        sys.exit(128 + stopped.signum)
