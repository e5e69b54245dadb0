"""What sizes a cluster of crawl nodes (docs/scaling.md): measured here, then the arithmetic.

Run: .venv/bin/python benchmarks/cluster_sizing.py --postgres postgresql://postgres@127.0.0.1/postgres
     [--pages 2000] [--polite-pages 24] [--rounds 2]
     [--sources 100] [--years 10] [--articles-per-day 40]

On a loopback site of N article pages (benchmarks/crawl_speed.py's, one feed, 304s),
in R alternating rounds, each in a fresh process:

- fetch only: a bare Scrapy spider over the same URLs (the baseline: what loopback allows);
- one node writing to PostgreSQL: `kgnews crawl` end to end, WARC on, into a database made
  for the run (articles/s, and the ratio to fetch only);
- one politeness slot: `kgnews crawl` of P pages of one source at the shipped defaults (one
  request at a time, DOWNLOAD_DELAY 1 s plus up to 50 % jitter, robots.txt obeyed), pages/s
  from the first article fetch to the last (start-up left out), and the ratio to the
  1 / 1.25 s the settings promise on average;
- bytes per archived article: the kgnews tables' size in PostgreSQL (indexes and TOAST
  included, less an empty archive's) and the WARC folder's, divided by the articles.

Then the arithmetic for S sources, Y years of back-fill and A articles a day per source
(A is an assumption: give your own). Medians over rounds; the machine is shared and
noisy, so the ratios matter more than the rates.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl_speed import FETCH_ONLY, KGNEWS, SERVER, build_site, measured, psql

SLOT_PROMISE = 1 / 1.25  # pages/s: DOWNLOAD_DELAY 1 s plus a mean jitter of 25 %
CONCURRENT_REQUESTS = 16  # crawler/settings.py: sites one job fetches at a time


def sources_file(directory: Path, origin: str, polite: bool) -> Path:
    """The bench source: as fast as loopback allows, or at the shipped politeness."""
    speed = "" if polite else "delay = 0.0\nconcurrency = 16\n"
    path = directory / ("polite.toml" if polite else "fast.toml")
    path.write_text(
        f'[[sources]]\nkey = "bench"\nname = "Bench"\nlanguage = "ky"\nfeeds = ["{origin}/rss"]\n'
        'article_pattern = "/kg/news/(?P<id>\\\\d+)"\nbody_selector = ".article-body"\n' + speed,
        encoding="utf-8",
    )
    return path


def table_bytes(url: str) -> int:
    sql = (
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')"
    )
    done = subprocess.run(["psql", url, "-Atqc", sql], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def count(url: str, sql: str) -> int:
    done = subprocess.run(["psql", url, "-Atqc", sql], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def node_to_postgres(admin: str, work: Path, sources: Path, number: int) -> dict[str, float]:
    database = f"kgnews_sizing_{os.getpid()}_{number}"
    psql(admin, f"CREATE DATABASE {database}")
    url = admin.rsplit("/", 1)[0] + "/" + database
    warc = work / f"warc-pg{number}"
    try:
        subprocess.run([*KGNEWS, "db", "upgrade", "--db", url], check=True, capture_output=True)
        empty = table_bytes(url)
        run = measured([
            *KGNEWS, "crawl", "--sources", str(sources), "--db", url, "--warc-dir", str(warc),
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "KGNEWS_SUMMARY=False",
        ])  # fmt: skip
        articles = count(url, "SELECT count(*) FROM articles")
        return {
            "articles_per_s": articles / run.wall,
            "db_bytes": (table_bytes(url) - empty) / articles,
            "warc_bytes": folder_bytes(warc) / articles,
            "articles": articles,
        }
    finally:
        psql(admin, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(warc, ignore_errors=True)


def one_slot(work: Path, sources: Path, number: int) -> float:
    """Pages/s of one source at the shipped politeness, first article fetch to last."""
    db = work / f"polite{number}.sqlite3"
    measured([
        *KGNEWS, "crawl", "--sources", str(sources), "--db", str(db), "--no-warc",
        "-s", "KGNEWS_SUMMARY=False",
    ])  # fmt: skip
    with sqlite3.connect(db) as connection:
        times = [
            datetime.fromisoformat(str(row[0]))
            for row in connection.execute(
                "SELECT fetched_at FROM fetches WHERE article_id IS NOT NULL ORDER BY fetched_at"
            )
        ]
    connection.close()
    return (len(times) - 1) / (times[-1] - times[0]).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="a server URL (its postgres database)")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--polite-pages", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--years", type=float, default=10)
    parser.add_argument("--articles-per-day", type=float, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kgnews-cluster-sizing-"))
    servers: list[subprocess.Popen[str]] = []
    try:
        origins = {}
        for name, pages in (("fast", args.pages), ("polite", args.polite_pages)):
            build_site(work / name, pages)
            server = subprocess.Popen(
                [sys.executable, "-c", SERVER, str(work / name)], stdout=subprocess.PIPE, text=True
            )
            servers.append(server)
            assert server.stdout is not None
            origins[name] = server.stdout.readline().strip()
        (work / "fetch_only.py").write_text(FETCH_ONLY, encoding="utf-8")
        fast = sources_file(work, origins["fast"], polite=False)
        polite = sources_file(work, origins["polite"], polite=True)
        fetch: list[float] = []
        node: list[dict[str, float]] = []
        slot: list[float] = []
        for number in range(args.rounds):
            steps = ["fetch", "node", "slot"]
            for step in steps if number % 2 == 0 else reversed(steps):
                if step == "fetch":
                    run = measured(
                        [sys.executable, "-m", "scrapy", "runspider", str(work / "fetch_only.py"),
                         "-a", f"feed={origins['fast']}/rss", "-a", f"origin={origins['fast']}"],
                        cwd=work,
                    )  # fmt: skip
                    fetch.append(args.pages / run.wall)
                elif step == "node":
                    node.append(node_to_postgres(args.postgres, work, fast, number))
                else:
                    slot.append(one_slot(work, polite, number))
        report(args, fetch, node, slot)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(
    args: argparse.Namespace, fetch: list[float], node: list[dict[str, float]], slot: list[float]
) -> None:
    med = statistics.median
    fetch_rate = med(fetch)
    write_rate = med(n["articles_per_s"] for n in node)
    slot_rate = med(slot)
    db_bytes = med(n["db_bytes"] for n in node)
    warc_bytes = med(n["warc_bytes"] for n in node)
    print(f"Measured ({args.rounds} rounds, medians; {args.pages:,} pages for the node):")
    print("| what | rate | ratio |")
    print("|---|---|---|")
    print(f"| fetch only (loopback, baseline) | {fetch_rate:.0f} pages/s | — |")
    print(f"| one node writing to PostgreSQL (WARC on) | {write_rate:.0f} articles/s | "
          f"{write_rate / fetch_rate:.2f}× fetch only |")  # fmt: skip
    print(f"| one politeness slot (shipped defaults) | {slot_rate:.2f} pages/s | "
          f"{slot_rate / SLOT_PROMISE:.2f}× the 0.80 the settings promise |")  # fmt: skip
    print(f"| bytes per archived article | {db_bytes / 1024:.1f} KiB in PostgreSQL, "
          f"{warc_bytes / 1024:.1f} KiB in WARC | |")  # fmt: skip
    sources, years, per_day = args.sources, args.years, args.articles_per_day
    total = sources * per_day * 365 * years
    fetch_rate_cluster = sources * slot_rate  # each site on one slot, all sites at once
    nodes_for_slots = math.ceil(sources / CONCURRENT_REQUESTS)
    nodes_for_writes = math.ceil(fetch_rate_cluster / write_rate)
    days = total / fetch_rate_cluster / 86400
    print()
    print(f"For {sources} sources, {years:g} years of back-fill, {per_day:g} articles a day each "
          "(an assumption):")  # fmt: skip
    print(f"- articles to fetch: {sources} × {per_day:g} × 365 × {years:g} = {total:,.0f}")
    print(f"- politeness bounds the cluster: {sources} slots × {slot_rate:.2f} pages/s = "
          f"{fetch_rate_cluster:.0f} pages/s, so the back-fill takes {days:.1f} days "
          "however many nodes")  # fmt: skip
    print(f"- nodes: {sources} sites ÷ {CONCURRENT_REQUESTS} at a time per job = "
          f"{nodes_for_slots}; writes: {fetch_rate_cluster:.0f} ÷ {write_rate:.0f} articles/s "
          f"per node = {nodes_for_writes}; so {max(nodes_for_slots, nodes_for_writes)} nodes "
          "(or fewer with CONCURRENT_REQUESTS raised)")  # fmt: skip
    print(f"- storage: {total:,.0f} × {db_bytes / 1024:.1f} KiB = "
          f"{total * db_bytes / 1024**3:,.0f} GiB in PostgreSQL, and × "
          f"{warc_bytes / 1024:.1f} KiB = {total * warc_bytes / 1024**3:,.0f} GiB of WARC")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
