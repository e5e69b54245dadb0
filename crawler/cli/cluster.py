"""`kgnews egg` and `kgnews schedule`: crawl nodes on Scrapyd (docs/scaling.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from crawler.cli.options import db_option, open_archive, refuse_missing_file
from crawler.errors import UserError

_SECRET_SETTINGS = ("KGNEWS_DATABASE_URL",)


@click.command()
@click.option(
    "-o", "--output", metavar="FILE", default="kgnews.egg", show_default=True,
    help="Where to write the egg.",
)  # fmt: skip
def egg(output: str) -> None:
    """Build the project egg for Scrapyd nodes: the code, the sources registry and the
    migrations. Deploy it with `scrapyd-deploy TARGET --egg FILE` (scrapy.cfg's
    [deploy:NAME] targets; -a for all of them)."""
    from crawler.cluster.egg import build_egg

    target = Path(output)
    if target.is_dir():
        raise UserError(f"{target} is a directory: give -o a file name such as {target}/kgnews.egg")
    try:
        built = build_egg(target)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
    click.echo(f"{built.path}: {built.files} files, sha256 {built.sha256[:16]}")


@click.command()
@click.option(
    "--node", "nodes", metavar="URL", multiple=True, required=True,
    help="A Scrapyd node, http://HOST:6800 or NAME=http://HOST:6800 (NAME names its WARC "
    "folder and its runs: letters, digits, '.', '_', '-'; default HOST-PORT; a URL "
    "without a port means 6800, or 443 for https). Repeat for each node.",
)  # fmt: skip
@click.option(
    "--source", "keys", metavar="KEY", multiple=True,
    help="Only these sources (repeat) [default: every source of the registry].",
)  # fmt: skip
@click.option(
    "--sources", "sources_file", metavar="FILE",
    help="A sources file; the nodes read it at the same path.",
)  # fmt: skip
@click.option(
    "--setting", "settings", metavar="NAME=VALUE", multiple=True,
    help="A Scrapy setting for the jobs (repeat), e.g. KGNEWS_WARC_DIR=/srv/kgnews/warc.",
)  # fmt: skip
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
    help="Seconds to wait for each node's answer.",
)  # fmt: skip
@db_option
def schedule(
    nodes: tuple[str, ...],
    keys: tuple[str, ...],
    sources_file: str | None,
    settings: tuple[str, ...],
    timeout: float,
    db: str | None,
) -> None:
    """Queue crawl jobs on Scrapyd nodes: each source on one node, none twice.

    Sources a live run is crawling (on any node) and sources a node has queued are left
    alone; the rest are shared evenly among the nodes that answer (the same plan from any
    machine). A node that does not answer gets nothing and its sources go to the others.
    The database (--db) is the archive the nodes write to; they read its URL from their
    own KGNEWS_DATABASE_URL (Scrapyd logs a job's settings: no password in --setting).
    Exit status 1 if a source could not be queued anywhere, or a node did not answer in
    time after being asked to queue a job.
    """
    from crawler.clock import utc_now
    from crawler.cluster.schedule import schedule as run
    from crawler.cluster.scrapyd import Node
    from crawler.sources.registry import load_registry

    parsed = []
    for text in nodes:
        try:
            parsed.append(Node.parse(text))
        except ValueError as exc:
            raise UserError(f"--node {exc}") from None
    names = [node.name for node in parsed]
    if len(set(names)) < len(names):
        raise UserError(f"--node names must differ; they are {', '.join(names)}")
    registry = load_registry(sources_file)
    chosen = [source.key for source in registry.select(list(keys))]
    fields = [("sources", sources_file)] if sources_file else []
    fields += [("setting", _setting(text)) for text in settings]
    if not (db or os.environ.get("KGNEWS_DATABASE_URL")):
        raise UserError(
            "schedule needs the nodes' archive: give --db (or KGNEWS_DATABASE_URL), the "
            "database the nodes write to"
        )
    refuse_missing_file(db)  # a mistyped path would be an archive of no node's
    engine = open_archive(db, migrate_if_empty=True)  # one migration, before any node writes
    try:
        outcome = run(engine, parsed, chosen, utc_now(), fields, timeout=timeout)
    finally:
        engine.dispose()
    for name, job, queued in outcome.queued:
        click.echo(f"{name}: queued job {job}: {', '.join(queued)}")
    for key, lock in sorted(outcome.busy.items()):
        where = lock.node or lock.host.split("#")[0]
        click.echo(f"{key}: already being crawled (run {lock.run_id} on {where})")
    for key, name in sorted(outcome.pending.items()):
        if key in chosen:
            click.echo(f"{key}: already queued on {name}")
    for name, reason in sorted(outcome.down.items()):
        if name in outcome.unsure:
            continue  # said below
        click.echo(f"kgnews: warning: node {name} got nothing: {reason}", err=True)
    for name, unsure in sorted(outcome.unsure.items()):
        click.echo(
            f"kgnews: warning: node {name} may have queued {', '.join(unsure)}; they are not "
            "given to another node this time",
            err=True,
        )
    if outcome.unplaced:
        click.echo(
            f"kgnews: error: no node took {', '.join(outcome.unplaced)}: "
            "check that the nodes are up and the project is deployed (kgnews egg)",
            err=True,
        )
    if outcome.unplaced or outcome.unsure:
        sys.exit(1)


def _setting(text: str) -> str:
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise UserError(f"--setting takes NAME=VALUE, not {text!r}")
    if name == "KGNEWS_NODE":
        raise UserError("--setting KGNEWS_NODE: each node's name comes from its --node")
    if name in _SECRET_SETTINGS and _has_password(value):
        raise UserError(
            f"--setting {name}= holds a password, and Scrapyd logs a job's settings: "
            "give each node its KGNEWS_DATABASE_URL in its environment instead"
        )
    return f"{name}={value}"


def _has_password(value: str) -> bool:
    """A password in a database URL, or what might be one in a URL that does not parse."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        return "@" in value or "password" in value.lower()
    return bool(url.password) or any(key.lower() == "password" for key in url.query)
