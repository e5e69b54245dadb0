"""A crawler-like writer process for the concurrency tests.

Usage: python concurrent_writer.py DB_URL GATE_FILE WORKER MODE URLS
Waits on GATE_FILE (the test holds an exclusive lock on it and releases every
worker at once), then stores one article per URL and prints the outcomes as JSON.
MODE "same": every worker stores the same text; "own": each its own text; with
"-batch" after it, the worker stores its articles in batches of BATCH, as a crawl does.
"""

from __future__ import annotations

import fcntl
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from crawler.extract.article import Article
from crawler.store.batch import ArticleWrite, store_batch
from crawler.store.engine import make_engine, resolve_url
from crawler.store.versioning import FetchInfo, ensure_source, store_article

BATCH = 4


def main() -> None:
    db_url, gate, worker, mode, count = sys.argv[1:6]
    mode, batched = mode.removesuffix("-batch"), mode.endswith("-batch")
    engine = make_engine(resolve_url(db_url))
    source_id = ensure_source(engine, "sputnik", "Sputnik Кыргызстан", "https://sputnik.kg/", "ky")
    text = "Бишкекте жаан жаады." if mode == "same" else f"Бишкекте {worker}-жолу жаан жаады."
    print("ready", flush=True)
    with Path(gate).open() as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)  # blocks until the test lets everyone go
    writes = []
    for number in range(int(count)):
        url = f"https://sputnik.kg/20260105/{number}.html"
        article = Article(url=url, title="Аба ырайы", paragraphs=(text,), extractor="test")
        writes.append(ArticleWrite(article, FetchInfo(url, source_id, datetime.now(UTC))))
    outcomes = []
    for start in range(0, len(writes), BATCH if batched else 1):
        chunk = writes[start : start + (BATCH if batched else 1)]
        if batched:
            results = store_batch(engine, chunk)
        else:
            results = [store_article(engine, chunk[0].article, chunk[0].fetch)]
        for write, result in zip(chunk, results, strict=True):
            outcomes.append([write.fetch.url, result.outcome, result.version])
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
