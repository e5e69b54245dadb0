"""`kgnews demo`: the whole pipeline on the bundled mirrors, with no network."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console

from crawler.cli.options import open_archive
from crawler.errors import UserError

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
    help="The SQLite file to archive into.",
)
def demo(db_path: str) -> None:
    """Serve the bundled mirrors of the Kyrgyz sources on loopback and crawl them.

    A look at the whole pipeline with no network: discovery, polite fetching,
    extraction, de-duplication and versioned storage, into a local SQLite file.
    """
    from crawler.crawl import run_crawl
    from crawler.demo import mirrors_dir
    from crawler.demo.mirror import Mirror, MirrorServer
    from crawler.sources.registry import load_registry
    from crawler.store.queries import source_totals

    root = mirrors_dir()
    registry = load_registry()
    keys = [key for key in registry.source_keys() if (root / key / "mirror.toml").is_file()]
    if not keys:
        raise UserError(f"no mirrors found in {root}: this kgnews was installed without them")
    path = Path(db_path).expanduser().absolute()
    engine = open_archive(str(path), migrate_if_empty=True)
    console = Console(width=120)
    with ExitStack() as stack:
        servers = {k: stack.enter_context(MirrorServer(Mirror.load(root / k))) for k in keys}
        console.print(
            f"Serving {len(servers)} mirrors on 127.0.0.1 and crawling them into {path}\n"
        )
        # The mirrors are ours, on loopback: no need for the sites' delays.
        sources = [
            replace(registry.get(key).rebased(servers[key].origin), delay=0.0) for key in keys
        ]
        overrides = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "CRITICAL"}
        result = run_crawl(sources, f"sqlite:///{path}", overrides)
    totals = source_totals(engine)
    articles = sum(row.articles for row in totals)
    console.print(
        f"\nArchived {articles} articles from {len(keys)} sources "
        f"(their URLs point at the demo mirrors on 127.0.0.1). Try:\n"
    )
    console.print(f'  sqlite3 {path} "{" ".join(QUERY.split())}"', soft_wrap=True)
    console.print(f"  kgnews stats --db {path}\n")
    sys.exit(0 if result.status == "finished" and articles else 1)
