"""End to end: how fast a crawl archives a loopback site, beside what bounds it.

Run: .venv/bin/python benchmarks/crawl_speed.py [--pages N] [--rounds R] [--postgres URL]

Builds a site of N article pages (default 2,000; one RSS feed listing them all; the
server answers If-None-Match / If-Modified-Since with 304) served from a process of
its own on loopback, then measures, in R alternating rounds (default 2), each in a
fresh process:

- fetch only: a bare Scrapy spider fetching the feed and every article, 16 at a time;
- extraction only: `extract_article` over the same bytes, in 1 process and in one per core;
- `kgnews crawl` end to end into SQLite with WARC capture (and into PostgreSQL when
  --postgres gives a server URL: a database is made for each run and dropped after);
- the unchanged re-crawl, twice: as a scheduled crawl runs it (the feed is asked for
  with its validators and answers 304; no article is due yet), and with `--recheck all`
  (every article asked for again, each answering 304): bytes moved against the first
  crawl, 304s, time against the first crawl's;
- `kgnews reextract` over the crawled archive.

Prints pages/s, the ratios the issue asks about, CPU use (CPU seconds ÷ wall seconds,
the pool's workers included) and peak RSS (the largest single process). Medians over
rounds. This machine is shared and noisy: read the ratios, not the absolute rates.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KGNEWS = [sys.executable, "-m", "crawler"]  # (PYTHONPATH picks which checkout: to compare two)
WORDS = (  # noqa: SIM905 (a sentence of words reads better than a list of them)
    "Бишкек шаарында жаңы мектеп ачылды жана анда үч жүз бала окуйт деп билдирди мэрия "
    "Ысык-Көл облусунда туристтик сезон башталып конок үйлөрү толду Нарын жолу оңдолууда "
    "өкмөт бюджеттен каражат бөлдү дыйкандар эгин жыйноону баштады Ош базарында баалар "
    "өстү Талас өрөөнүндө жаан көп жаады депутаттар мыйзам долбоорун талкуулашты"
).split()


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    output: str = ""


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
    return " ".join(words).capitalize() + "."


def build_site(root: Path, pages: int) -> None:
    """N articles in the user-site layout, one feed of all of them, a menu on each page."""
    rng = random.Random(2026)
    news = root / "kg" / "news"
    news.mkdir(parents=True)
    menu = " ".join(f'<a href="https://bench.example/kg/cat/{n}">Бөлүм {n}</a>' for n in range(40))
    routes, items = ['"/rss" = "rss.xml"'], []
    for n in range(1, pages + 1):
        title = sentence(rng)[:-1]
        body = "".join(f"<p>{sentence(rng)} {sentence(rng)}</p>" for _ in range(rng.randint(6, 14)))
        (news / f"{n}.html").write_text(
            f'<!DOCTYPE html><html lang="ky"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:type" content="article"><meta property="og:title" '
            f'content="{title}"><meta property="article:published_time" '
            f'content="2026-11-{1 + n % 28:02d}T10:00:00+06:00"></head><body><header><nav>'
            f'{menu}</nav></header><main><h1>{title}</h1><article class="article-body">'
            f"{body}</article></main><footer><p>© Кабарлар</p></footer></body></html>",
            encoding="utf-8",
        )
        routes.append(f'"/kg/news/{n}" = "kg/news/{n}.html"')
        items.append(
            f"<item><title>{title}</title><link>https://bench.example/kg/news/{n}</link></item>"
        )
    (root / "rss.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Кабарлар'
        f"</title>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n", encoding="utf-8")
    (root / "mirror.toml").write_text(
        'origins = ["https://bench.example"]\n\n[routes]\n' + "\n".join(routes) + "\n",
        encoding="utf-8",
    )


SERVER = """
import sys
from pathlib import Path
from crawler.demo.mirror import Mirror, MirrorServer

server = MirrorServer(Mirror.load(Path(sys.argv[1])))
sent = [0]


class Counting(server.RequestHandlerClass):
    def _send(self, status, body, *args, **kwargs):
        sent[0] += len(body)
        super()._send(status, body, *args, **kwargs)

    def do_GET(self):
        if self.path != "/__bytes__":  # the body bytes sent so far
            return super().do_GET()
        body = str(sent[0]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server.RequestHandlerClass = Counting
print(server.origin, flush=True)
server.serve_forever()
"""

FETCH_ONLY = """
import scrapy

class FetchOnly(scrapy.Spider):
    name = "fetch_only"
    custom_settings = {
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
    }

    async def start(self):
        yield scrapy.Request(self.feed)

    def parse(self, response):
        for link in response.xpath("//item/link/text()").getall():
            yield scrapy.Request(link.replace("https://bench.example", self.origin), self.page)

    def page(self, response):
        pass
"""

EXTRACT_ONLY = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from crawler.extract.pipeline import extract_article

def one(path):
    try:
        extract_article(Path(path).read_bytes(), "https://bench.example/" + Path(path).name)
    except Exception:
        pass

paths = sorted(str(p) for p in Path(sys.argv[1]).glob("kg/news/*.html"))
workers = int(sys.argv[2])
if workers == 1:
    for path in paths:
        one(path)
else:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(one, paths, chunksize=16))
"""


def measured(command: list[str], cwd: Path | None = None) -> Run:
    """Wall time, CPU time (its children included) and peak RSS of one process."""
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command[:3])}… failed:\n{output[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, output)


def sources_file(directory: Path, origin: str) -> Path:
    path = directory / "bench.toml"
    path.write_text(
        f'[[sources]]\nkey = "bench"\nname = "Bench"\nlanguage = "ky"\nfeeds = ["{origin}/rss"]\n'
        'article_pattern = "/kg/news/(?P<id>\\\\d+)"\nbody_selector = ".article-body"\n'
        "delay = 0.0\nconcurrency = 16\n",
        encoding="utf-8",
    )
    return path


def crawl(db: str, warc: Path, sources: Path, *extra: str) -> Run:
    fast = [
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "KGNEWS_SUMMARY=False",
    ]
    return measured([
        *KGNEWS, "crawl", "--sources", str(sources), "--db", db,
        "--warc-dir", str(warc), *fast, *extra,
    ])  # fmt: skip


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-qc", sql], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (its postgres database)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="kgnews-crawl-speed-"))
    server = None
    try:
        site = work / "site"
        build_site(site, args.pages)
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(site)], stdout=subprocess.PIPE, text=True
        )
        assert server.stdout is not None
        origin = server.stdout.readline().strip()
        (work / "fetch_only.py").write_text(FETCH_ONLY, encoding="utf-8")
        (work / "extract_only.py").write_text(EXTRACT_ONLY, encoding="utf-8")
        sources = sources_file(work, origin)
        rates: dict[str, list[float]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)
        rss: dict[str, list[float]] = defaultdict(list)
        notes: list[str] = []
        for number in range(args.rounds):
            steps = ["fetch", "extract1", "extractN", "sqlite", "postgres"]
            if number % 2:
                steps.reverse()
            for step in steps:
                run = None
                if step == "fetch":
                    run = measured(
                        [
                            sys.executable,
                            "-m",
                            "scrapy",
                            "runspider",
                            str(work / "fetch_only.py"),
                            "-a",
                            f"feed={origin}/rss",
                            "-a",
                            f"origin={origin}",
                        ],
                        cwd=work,
                    )  # fmt: skip (no scrapy.cfg there: Scrapy's own settings)
                elif step == "extract1":
                    run = measured([sys.executable, str(work / "extract_only.py"), str(site), "1"])
                elif step == "extractN":
                    run = measured(
                        [sys.executable, str(work / "extract_only.py"), str(site), str(cores)]
                    )
                elif step == "sqlite":
                    run, scheduled, recrawl, reextract = sqlite_runs(work, sources, number, origin)
                    for name, extra in (("recrawl", recrawl), ("reextract", reextract)):
                        rates[name].append(args.pages / extra.wall)
                        cpu[name].append(extra.cpu / extra.wall)
                        rss[name].append(extra.rss_mb)
                    rates["recrawl_time_share"].append(recrawl.wall / run.wall)
                    rates["scheduled_time_share"].append(scheduled.wall / run.wall)
                    notes.extend((scheduled.output, recrawl.output))
                elif step == "postgres" and args.postgres:
                    database = f"kgnews_bench_{os.getpid()}_{number}"
                    psql(args.postgres, f"CREATE DATABASE {database}")
                    try:
                        url = args.postgres.rsplit("/", 1)[0] + "/" + database
                        run = crawl(url, work / f"warc-pg{number}", sources)
                    finally:
                        psql(args.postgres, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
                if run is not None:
                    rates[step].append(args.pages / run.wall)
                    cpu[step].append(run.cpu / run.wall)
                    rss[step].append(run.rss_mb)
        report(args.pages, cores, rates, cpu, rss, notes)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def sqlite_runs(work: Path, sources: Path, number: int, origin: str) -> tuple[Run, Run, Run, Run]:
    """First crawl, the unchanged re-crawl as scheduled and with every article asked for
    again, and reextract, of one fresh SQLite archive."""
    db_path = work / f"archive{number}.sqlite3"
    db, warc = f"sqlite:///{db_path}", work / f"warc{number}"
    before = _bytes_sent(origin)
    first = crawl(db, warc, sources)
    first_bytes = _bytes_sent(origin) - before
    reruns = []
    for label, extra in (("scheduled", ()), ("--recheck all", ("--recheck", "all"))):
        sent = _bytes_sent(origin)
        rerun = crawl(db, warc, sources, *extra)
        moved = _bytes_sent(origin) - sent
        not_modified = _count(
            db_path, "SELECT count(*) FROM fetches WHERE outcome = 'not_modified'"
        )  # (the whole archive's: the first crawl makes none)
        rerun.output = (
            f"re-crawl ({label}): {moved:,} bytes against {first_bytes:,} "
            f"({moved / max(first_bytes, 1):.1%}), {not_modified} 304s so far, "
            f"{rerun.wall / first.wall:.2f} of the first crawl's time"
        )
        reruns.append(rerun)
    scheduled, recrawl = reruns
    reextract = measured([
        *KGNEWS, "reextract", "--sources", str(sources), "--db", db,
        "--warc-dir", str(warc),
    ])  # fmt: skip
    return first, scheduled, recrawl, reextract


def _bytes_sent(origin: str) -> int:
    """Body bytes the site has sent (feed, robots.txt and articles, 304s included)."""
    with urllib.request.urlopen(f"{origin}/__bytes__") as answer:
        return int(answer.read())


def _count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(db_path) as connection:
        return int(connection.execute(sql).fetchone()[0])


def report(
    pages: int,
    cores: int,
    rates: dict[str, list[float]],
    cpu: dict[str, list[float]],
    rss: dict[str, list[float]],
    notes: list[str],
) -> None:
    median = {name: statistics.median(values) for name, values in rates.items()}
    names = {
        "fetch": "fetch only (bare Scrapy spider)",
        "extract1": "extraction only, 1 process",
        "extractN": f"extraction only, {cores} processes",
        "sqlite": "kgnews crawl, SQLite, WARC on",
        "postgres": "kgnews crawl, PostgreSQL, WARC on",
        "recrawl": "unchanged re-crawl (SQLite)",
        "reextract": "kgnews reextract (SQLite)",
    }
    print(f"{pages} pages, {cores} cores")
    print("| what | pages/s | CPU | peak RSS MB |\n|---|---|---|---|")
    for key, label in names.items():
        if key in median:
            print(
                f"| {label} | {median[key]:.0f} | {statistics.median(cpu[key]):.2f} | "
                f"{statistics.median(rss[key]):.0f} |"
            )
    ratios = [
        ("extraction N / 1 process", "extractN", "extract1", None),
        ("crawl SQLite / extraction N", "sqlite", "extractN", 0.8),
        ("crawl SQLite / fetch only", "sqlite", "fetch", 0.9),
        ("crawl PostgreSQL / SQLite", "postgres", "sqlite", 0.9),
        ("reextract / extraction 1 process", "reextract", "extract1", 1.6),
    ]
    for label, top, bottom, target in ratios:
        if top in median and bottom in median:
            wanted = f" (target >= {target})" if target else ""
            print(f"{label}: {median[top] / median[bottom]:.2f}{wanted}")
    if "recrawl_time_share" in median:
        for label, key in (
            ("scheduled", "scheduled_time_share"),
            ("--recheck all", "recrawl_time_share"),
        ):
            print(f"re-crawl ({label}) time / first crawl time: {median[key]:.2f} (target <= 0.25)")
    for note in dict.fromkeys(notes):  # (the same line each round)
        print(note)


if __name__ == "__main__":
    sys.exit(main())
