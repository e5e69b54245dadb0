"""`kgnews db …`: the archive's schema."""

from __future__ import annotations

import click

from crawler.cli.options import connect, db_option, refuse_missing_file
from crawler.store import migrate
from crawler.store.engine import describe


@click.group()
def db() -> None:
    """Create and migrate the archive's schema."""


@db.command()
@db_option
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(db: str | None, revision: str) -> None:
    """Create the tables, or migrate them to this kgnews's schema."""
    engine = connect(db)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    where = describe(engine.url)
    if before == after:
        click.echo(f"{where}: already at revision {after}")
    else:
        click.echo(f"{where}: migrated from {before or 'empty'} to {after}")


@db.command()
@db_option
@click.argument("revision")
def downgrade(db: str | None, revision: str) -> None:
    """Migrate back to REVISION ("base" drops every table). Data in dropped columns is lost."""
    engine = connect(db)
    migrate.downgrade(engine, revision)
    click.echo(
        f"{describe(engine.url)}: now at revision {migrate.current_revision(engine) or 'base'}"
    )


@db.command()
@db_option
def current(db: str | None) -> None:
    """Show the revision the database is at, and whether it is this kgnews's head."""
    refuse_missing_file(db)
    engine = connect(db)
    revision = migrate.current_revision(engine)
    head = migrate.head_revision()
    if revision is None:
        click.echo("empty (no kgnews schema): run `kgnews db upgrade`")
    elif revision == head:
        click.echo(f"{revision} (head)")
    elif migrate.is_known(revision):
        click.echo(f"{revision} (head is {head}: run `kgnews db upgrade`)")
    else:
        click.echo(f"{revision} (unknown to this kgnews, whose head is {head})")
