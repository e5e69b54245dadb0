"""`kgnews verify`: the archive's fsck."""

from __future__ import annotations

import sys

import click

from crawler.cli.options import db_option, read_archive
from crawler.cli.warc import resolve_warc_dir, warc_dir_option


@click.command()
@click.option("--warc", "with_warc", is_flag=True, help="Also check every raw page kept in WARC.")
@click.option("--source", "source_key", metavar="KEY", help="Only this source's rows.")
@click.option("--sources", "sources_file", metavar="FILE", help="Sources file with the rules.")
@warc_dir_option
@db_option
def verify(
    with_warc: bool,
    source_key: str | None,
    sources_file: str | None,
    warc_dir: str | None,
    db: str | None,
) -> None:
    """Check that the archive keeps its promises; one line per problem, exit status 1.

    Each article's versions run 1..n without gaps and the latest is current; no row
    points at a row that is not there; every fetch that archived text names its
    article; no run is left 'running' by a process that died; the summary tables
    (current_authors, late_edits) say what the rows say. With --warc: every WARC
    pointer opens a readable record whose payload hashes to the stored digest (a
    revisit's payload is kept by an earlier record), and every version can be
    extracted again from its page, to the same text where today's extractor made it.
    """
    from crawler.clock import utc_now
    from crawler.sources.registry import load_registry
    from crawler.verify.check import Checked
    from crawler.verify.check import verify as run
    from crawler.verify.records import DRIFT

    engine = read_archive(db)
    directory = resolve_warc_dir(warc_dir, engine.url) if with_warc else None
    registry = load_registry(sources_file)
    known = set(registry.source_keys())
    checked = Checked()
    problems = drifted = 0
    for line in run(
        engine, utc_now(), source=source_key, warc_dir=directory, checked=checked,
        rules_for=lambda key: registry.get(key).rules if key in known else None,
    ):  # fmt: skip
        if line.startswith(DRIFT):
            drifted += 1
        else:
            problems += 1
        click.echo(line)
    rows = checked.rows
    what = (
        f"{rows.get('articles', 0)} articles, {rows.get('versions', 0)} versions, "
        f"{rows.get('fetches', 0)} fetches"
    )
    if directory is not None:
        what += f", {checked.warc.records} WARC records, {checked.warc.versions} re-extractions"
        if checked.warc.unkept:
            what += f" ({checked.warc.unkept} versions have no raw page kept)"
    verdict = f"{problems} problems" if problems else "no problems"
    if drifted:
        verdict += f"; {drifted} pages read otherwise today (kgnews reextract updates them)"
    click.echo(f"verified {what}: {verdict}", err=bool(problems))
    engine.dispose()
    sys.exit(1 if problems else 0)
