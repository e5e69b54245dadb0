"""How fast the documented queries and a search run on an archive of 100,000 versions.

Run: .venv/bin/python benchmarks/query_speed.py [--versions N] [--postgres URL]

Builds a synthetic archive (9 sources, N versions over ~0.6 N articles, their
fetches and 200 runs; Kyrgyz-like text, one topic an article, with a Zipf-distributed
long tail of words (see GENERAL and TOPICS); seeded, so every run builds the same archive) through the real migrations, then times each query of
docs/queries.sql and a few searches: the median of 5 runs each, beside a baseline
query (`SELECT count(*) FROM sources`) timed the same way in the same process.
With --postgres, the same on a fresh schema of that PostgreSQL database, reported beside
SQLite. Targets on this machine: each under 100 ms on SQLite at 100,000 versions, under
1 s on PostgreSQL at 1,000,000 (`--versions 1000000 --no-sqlite --postgres URL`).
The worst-case search (two words found in nearly every article, so every article is
ranked) is printed beside them but is not held to the target.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import accumulate
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, insert, text

from crawler.store.documented import documented_queries
from crawler.store.engine import make_engine, resolve_url, writer
from crawler.store.migrate import upgrade
from crawler.store.models import Article, ArticleVersion, CrawlRun, Fetch, Source
from crawler.store.search import search

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "docs" / "queries.sql"

# The text: each article is about one topic. A word is one of the topic's words (a
# quarter of them), one of the general words (a tenth), or else a word of a long tail
# drawn by Zipf's law (rank r with weight 1/r^1.07, as in real running text) from
# 40,000 made-up Kyrgyz-like words. The first version of this benchmark drew every
# word from these 73 alone, uniformly, so any two of them were in 85 % of the archive;
# real words are not spread like that. That extreme is still measured, by the search
# for the two commonest words of the tail (in nearly every article): see WORST.
GENERAL = ["Бишкек", "шаарында", "жаңы", "маалымат", "жарандар", "кайрылышты", "кол", "койду"]
TOPICS = [
    ["мектеп", "ачылды", "окуучулар", "мугалимдер", "китеп"],
    ["өкмөт", "министрлик", "парламент", "депутаттар", "мыйзам", "долбоору", "талкууланды",
     "президент", "жарлык", "жыйыны"],
    ["Ош", "Нарын", "Талас", "Баткен", "Жалал-Абад", "Ысык-Көл", "облусунда", "айыл"],
    ["аба", "ырайы", "суук", "жаан", "кар"],
    ["жол", "курулуш", "көпүрө", "электр", "энергиясы", "тарифтер"],
    ["оорукана", "дарыгерлер", "бейтаптар"],
    ["экономика", "баалар", "кымбаттады", "базар", "эт", "нан", "күрүч"],
    ["фермерлер", "түшүм", "сугат", "суу", "чарба", "малчылар", "жайыт", "токой"],
    ["спорт", "курама", "команда", "беттеш", "жеңиш"],
    ["фестиваль", "театр", "музей", "тарых", "маданият", "туристтер", "сезон", "мейманкана"],
]  # fmt: skip
TAIL_WORDS = 40_000
SYLLABLES = [c + v for c in "бгджзклмнпрстчш" for v in "аеиоуыөү"] + ["ан", "ар", "ат", "ом"]
SOURCES = ["azattyk", "bbc", "sputnik", "24kg", "kabar", "super", "kloop", "ktrk", "turmush"]
TARGET_MS = {"sqlite": 100, "postgresql": 1000}  # at 100k versions on SQLite, 1M on PostgreSQL
SEARCHES = ['"жаңы мектеп"', "оорукана дарыгерлер", "Ѳзгѳн тарифтер"]
WORST = "(worst case) search "  # its words are in nearly every article: reported, not a target


def tail_words(rng: random.Random) -> list[str]:
    """The long tail, commonest first: distinct made-up words of two to four syllables."""
    words: dict[str, None] = {}
    while len(words) < TAIL_WORDS:
        words["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


def build(engine: Engine, versions: int) -> None:
    """The synthetic archive, in a few large transactions."""
    upgrade(engine)
    rng = random.Random(42)
    now = datetime.now(UTC)

    tail = tail_words(rng)
    weights = list(accumulate(1 / rank**1.07 for rank in range(1, TAIL_WORDS + 1)))
    topic: list[str] = TOPICS[0]

    def sentence() -> str:
        n = rng.randint(8, 18)
        words = rng.choices(tail, cum_weights=weights, k=n)
        for i, pick in enumerate(rng.random() for _ in range(n)):
            if pick < 0.25:
                words[i] = rng.choice(topic)
            elif pick < 0.35:
                words[i] = rng.choice(GENERAL)
        return " ".join(words).capitalize() + "."

    def paragraph() -> str:
        return " ".join(sentence() for _ in range(rng.randint(2, 4)))

    with writer(engine).begin() as c:
        c.execute(insert(Source), [
            {"id": i + 1, "key": key, "name": key, "base_url": f"https://{key}.kg/", "language": "ky"}
            for i, key in enumerate(SOURCES)
        ])  # fmt: skip
        c.execute(insert(CrawlRun), [
            {"id": r + 1, "started_at": now - timedelta(hours=2 * (200 - r)), "finished_at": now - timedelta(hours=2 * (200 - r)) + timedelta(minutes=5),
             "status": "finished", "sources": SOURCES}
            for r in range(200)
        ])  # fmt: skip
    articles = int(versions * 0.6)
    article_rows, version_rows, fetch_rows, currents = [], [], [], []
    version_id = 0
    for article_id in range(1, articles + 1):
        published = now - timedelta(minutes=rng.randint(0, 60 * 24 * 400))
        topic = rng.choice(TOPICS)
        count = 1 + (
            article_id * 2 <= (versions - articles) * 2 and article_id <= versions - articles
        )
        current = None
        for number in range(1, count + 1):
            version_id += 1
            fetched = published + timedelta(hours=number * rng.randint(1, 30))
            body = "\n".join(paragraph() for _ in range(rng.randint(4, 9)))
            version_rows.append({
                "id": version_id, "article_id": article_id, "version": number, "fetched_at": fetched,
                "content_hash": uuid.UUID(int=rng.getrandbits(128)).hex * 2, "title": sentence(),
                "body": body, "lead": None, "authors": [rng.choice(["Айгүл", "Нурбек", "Бакыт", "Жылдыз"])],
                "published_at": published, "modified_at": None, "language": "ky",
                "word_count": len(body.split()), "extractor": "benchmark", "tags": [], "image_url": None,
                "chars_added": rng.randint(1, 500), "chars_removed": 0 if number == 1 else rng.randint(1, 200),
            })  # fmt: skip
            fetch_rows.append({
                "crawl_run_id": rng.randint(1, 200), "source_id": 1 + article_id % 9, "article_id": article_id,
                "url": f"https://{SOURCES[article_id % 9]}.kg/a/{article_id}", "fetched_at": fetched,
                "http_status": 200, "outcome": "new" if number == 1 else "changed", "bytes": 30_000,
            })  # fmt: skip
            current = version_id
        article_rows.append({
            "id": article_id, "source_id": 1 + article_id % 9, "url": f"https://{SOURCES[article_id % 9]}.kg/a/{article_id}",
            "first_seen_at": published, "last_fetched_at": published, "published_at": published,
        })  # fmt: skip
        currents.append({"a": article_id, "v": current})
        if version_id >= versions:
            break
    for extra in range(versions // 2):  # revisits and errors: fetches without a version
        article_id = rng.randint(1, len(article_rows))
        fetch_rows.append({
            "crawl_run_id": rng.randint(1, 200), "source_id": 1 + article_id % 9, "article_id": article_id,
            "url": article_rows[article_id - 1]["url"], "fetched_at": now - timedelta(minutes=extra),
            "http_status": 304 if extra % 10 else 404, "outcome": "not_modified" if extra % 10 else "error",
            "error": None if extra % 10 else "HTTP 404", "bytes": 0,
        })  # fmt: skip
    with writer(engine).begin() as c:
        # articles first, then their versions, then which version is current
        for table, rows in (
            (Article, article_rows),
            (ArticleVersion, version_rows),
            (Fetch, fetch_rows),
        ):
            for start in range(0, len(rows), 5000):
                c.execute(insert(table), rows[start : start + 5000])
        c.execute(text("UPDATE articles SET current_version_id = :v WHERE id = :a"), currents)
    with engine.begin() as c:
        c.exec_driver_sql("ANALYZE")


def timed(work: Callable[[], object], runs: int = 5) -> float:
    work()  # warm the caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(engine: Engine) -> dict[str, float]:
    dialect = engine.dialect.name
    results: dict[str, float] = {}
    with engine.connect() as connection:
        if dialect == "postgresql":
            connection.execute(text("SET TIME ZONE 'UTC'"))
        results["(baseline) count(*) FROM sources"] = timed(
            lambda: connection.execute(text("SELECT count(*) FROM sources")).all()
        )
        for query in documented_queries(QUERIES):
            if query.dialect in (None, dialect):
                sql = query.sql.replace(
                    "https://www.azattyk.org/a/32981204.html", "https://azattyk.kg/a/9"
                )
                results[query.name] = timed(partial(_all_rows, connection, sql))
    for phrase in SEARCHES:
        results[f"search {phrase}"] = timed(partial(search, engine, phrase))
    commonest = " ".join(tail_words(random.Random(42))[:2])  # build's first draws
    results[WORST + commonest] = timed(partial(search, engine, commonest))
    return results


def _all_rows(connection: Connection, sql: str) -> object:
    return connection.execute(text(sql)).all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="also on a fresh schema of this database")
    parser.add_argument(
        "--no-sqlite", action="store_true", help="PostgreSQL only (with --postgres)"
    )
    args = parser.parse_args()
    runs: dict[str, dict[str, float]] = {}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as directory:
            sqlite = make_engine(resolve_url(f"{directory}/bench.sqlite3"))
            started = time.perf_counter()
            build(sqlite, args.versions)
            took = time.perf_counter() - started
            print(f"SQLite archive of {args.versions} versions built in {took:.0f} s")
            runs["sqlite"] = measure(sqlite)
    if args.postgres:
        schema = f"kgnews_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(resolve_url(args.postgres))
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in args.postgres else "?"
            postgres = make_engine(
                resolve_url(f"{args.postgres}{separator}options={quote(f'-csearch_path={schema}')}")
            )
            started = time.perf_counter()
            build(postgres, args.versions)
            print(f"PostgreSQL archive built in {time.perf_counter() - started:.0f} s")
            runs["postgresql"] = measure(postgres)
            postgres.dispose()
        finally:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    if not runs:
        parser.error("--no-sqlite needs --postgres")
    names = list(next(iter(runs.values())))
    base = {backend: values[names[0]] for backend, values in runs.items()}
    header = f"{'query':34} " + " ".join(f"{b + ' ms':>14} {'× baseline':>11}" for b in runs)
    print(header)
    for name in names:
        cells = " ".join(
            f"{runs[b].get(name, float('nan')):14.1f} {runs[b].get(name, float('nan')) / base[b]:11.1f}"
            for b in runs
        )
        print(f"{name[:34]:34} {cells}")
    for backend, values in runs.items():
        limit = TARGET_MS[backend]
        slow = [n for n in names if values.get(n, 0) >= limit and not n.startswith(WORST)]
        print(
            f"{backend}: every query under {limit} ms"
            if not slow
            else f"{backend}: over {limit} ms: {', '.join(slow)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
