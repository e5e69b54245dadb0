"""Building the demo archive: the mirrors crawled under their own URLs, with edits between.

The archive is built from scratch in a folder beside the target and moved into place at
the end, so running the demo again gives the same archive (same articles, same versions)
and an interrupted run leaves the previous one as it was. Only a file that is a demo
archive (marked by `DEMO_MARK` in SQLite's application_id) or no file is replaced.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from crawler.capture.place import default_warc_dir
from crawler.crawl import CrawlResult, CrawlStep, run_crawls
from crawler.demo import mirrors_dir
from crawler.demo.edits import Edit, crawls, load_edits
from crawler.demo.mirror import Mirror, MirrorServer
from crawler.errors import UserError
from crawler.sources.model import Source
from crawler.sources.registry import load_registry
from crawler.store.engine import resolve_url

DEMO_MARK = 0x6B67646D  # 'kgdm'
TRANSPORT = "crawler.demo.transport.MirrorTransport"


class DemoIncomplete(Exception):
    """The crawls did not all finish (a stop signal, a failure): nothing was replaced."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Demo:
    path: Path
    sources: list[str]
    results: list[CrawlResult]
    edits: list[Edit]


def is_demo_archive(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            (mark,) = connection.execute("PRAGMA application_id").fetchone()
    except sqlite3.DatabaseError:
        return False
    return bool(mark == DEMO_MARK)


def build_demo(target: Path, say: Callable[[str], None] = print) -> Demo:
    """Crawl the mirrors into `target` (a SQLite file) and its WARC folder beside it."""
    _refuse_to_replace(target)
    root = mirrors_dir()
    registry = load_registry()
    keys = [key for key in registry.source_keys() if (root / key / "mirror.toml").is_file()]
    if not keys:
        raise UserError(f"no mirrors found in {root}: this kgnews was installed without them")
    edits = load_edits()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".kgnews-demo-", dir=target.parent) as work:
        folder = Path(work)
        sites = folder / "sites"
        for key in keys:  # a copy: the sites are edited between the crawls
            shutil.copytree(root / key, sites / key)
        built = folder / target.name
        mirrors = {key: Mirror.load(sites / key) for key in keys}
        with ExitStack() as stack:
            servers = {  # serving the pages as the sites do: links keep the sites' own URLs
                key: stack.enter_context(MirrorServer(replace(mirror, origins=())))
                for key, mirror in mirrors.items()
            }
            say(f"Serving {len(keys)} mirrors on 127.0.0.1 and crawling them into {target}")
            sources = [replace(registry.get(key), delay=0.0) for key in keys]
            routes = mirror_routes(sources, mirrors, servers)
            steps = [
                CrawlStep(sources, _editing(edits, number, sites, say))
                for number in range(1, crawls(edits) + 1)
            ]
            results = run_crawls(steps, f"sqlite:///{built}", _settings(routes))
        _check_finished(results, len(steps))
        _mark(built)
        _refuse_to_replace(target)  # (again: the crawls took a while)
        _move_into_place(folder, built, target)
    return Demo(target, keys, results, edits)


def _refuse_to_replace(target: Path) -> None:
    """Only a demo archive (and its WARC folder) is replaced, or nothing."""
    if target.exists() and not is_demo_archive(target):
        raise UserError(
            f"{target} exists and is not a demo archive: give --db a new file "
            "(the demo replaces only an archive it made)"
        )
    warc = _warc_dir(target)
    if not target.exists() and warc.exists():
        raise UserError(
            f"{warc} exists with no demo archive beside it: give --db a new file "
            "(the demo replaces only the WARC folder of an archive it made)"
        )


def _check_finished(results: list[CrawlResult], steps: int) -> None:
    signals = next((r.stop_signals for r in results if r.stop_signals), ())
    if signals:
        raise DemoIncomplete("the demo was stopped; an earlier demo archive is left as it was",
                             128 + signals[0])  # fmt: skip
    if len(results) < steps or any(r.status != "finished" for r in results):
        statuses = ", ".join(r.status for r in results) or "none"
        raise DemoIncomplete(
            f"the demo's crawls did not all finish ({statuses}); an earlier demo archive is "
            "left as it was",
            1,
        )


def _warc_dir(database: Path) -> Path:
    return default_warc_dir(resolve_url(f"sqlite:///{database}"))


def mirror_routes(
    sources: list[Source], mirrors: dict[str, Mirror], servers: dict[str, MirrorServer]
) -> dict[str, str]:
    """Every host a source or its mirror names → that mirror's loopback origin."""
    routes: dict[str, str] = {}
    for source in sources:
        server = servers[source.key]
        urls = [source.base_url, *source.feeds, *source.sitemaps, *source.listings]
        urls += mirrors[source.key].origins
        for url in urls:
            routes.setdefault(urlsplit(url).netloc, server.origin)
        for host in source.hosts:
            routes.setdefault(host, server.origin)
    return routes


def _settings(routes: dict[str, str]) -> dict[str, object]:
    return {
        "DOWNLOAD_HANDLERS": {"http": TRANSPORT, "https": TRANSPORT},
        "KGNEWS_MIRROR_ROUTES": routes,
        "KGNEWS_RECHECK": "all",  # every crawl after the first looks at every article again
        "DOWNLOAD_DELAY": 0,  # the mirrors are ours, on loopback
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "CRITICAL",
    }


def _editing(
    edits: list[Edit], number: int, sites: Path, say: Callable[[str], None]
) -> Callable[[], None]:
    def before() -> None:
        mine = [edit for edit in edits if edit.crawl == number]
        for edit in mine:
            edit.apply(sites)
        what = "; ".join(f"{edit.source}: {edit.what}" for edit in mine)
        say(f"crawl {number}" + (f", after the sites' edits ({what})" if mine else ""))

    return before


def _mark(built: Path) -> None:
    """The demo's mark, and the file made whole: its write-ahead log folded in."""
    with closing(sqlite3.connect(built, isolation_level=None)) as connection:
        connection.execute(f"PRAGMA application_id = {DEMO_MARK}")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode = DELETE")
    if built.with_name(built.name + "-wal").exists():
        raise RuntimeError(f"{built}: a write-ahead log is left beside the demo archive")


def _move_into_place(folder: Path, built: Path, target: Path) -> None:
    """The new archive and WARC folder in place of the old ones (which go with `folder`,
    the old archive's -wal and -shm files too: they belong to it, not to the new one)."""
    old = folder / "old"
    old.mkdir()
    for leftover in (
        target.with_name(target.name + "-wal"),
        target.with_name(target.name + "-shm"),
    ):
        if leftover.exists():
            leftover.replace(old / leftover.name)
    if _warc_dir(target).exists():
        _warc_dir(target).replace(old / "warc")
    if _warc_dir(built).exists():
        _warc_dir(built).replace(_warc_dir(target))
    built.replace(target)
