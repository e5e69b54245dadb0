"""How long `kgnews verify` (the row checks) takes per 100,000 versions.

Run: .venv/bin/python benchmarks/verify_speed.py [--versions N]

Builds the synthetic archive of benchmarks/query_speed.py (N versions, seeded) on
SQLite through the real migrations, then times the full row verification beside a
baseline that only reads every version's id, article and number once (the least
any check of the versions must do), alternating the two, 5 runs each; prints the
medians, the ratio, and the cost per 100,000 versions. (`--warc` adds the reading
and re-extraction of every raw page: about one extraction per version, see
benchmarks/extract_speed.py.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from query_speed import build

from crawler.store.engine import make_engine, resolve_url
from crawler.store.models import ArticleVersion
from crawler.verify.check import Checked, verify


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(resolve_url(str(Path(directory) / "bench.sqlite3")))
        build(engine, args.versions)
        now = datetime.now(UTC)

        def check() -> float:
            start = time.perf_counter()
            checked = Checked()
            problems = list(verify(engine, now, checked=checked))
            elapsed = time.perf_counter() - start
            assert checked.rows["versions"] == args.versions, checked.rows
            if problems:
                print(f"{len(problems)} problems, e.g. {problems[0]}", file=sys.stderr)
            return elapsed

        def baseline() -> float:
            start = time.perf_counter()
            query = select(ArticleVersion.id, ArticleVersion.article_id, ArticleVersion.version)
            with engine.connect() as connection:
                for _row in connection.execution_options(yield_per=2000).execute(query):
                    pass
            return time.perf_counter() - start

        ours, base = [], []
        for _ in range(args.runs):
            ours.append(check())
            base.append(baseline())
        engine.dispose()
    o, b = statistics.median(ours), statistics.median(base)
    print(f"{args.versions} versions, {args.runs} runs alternating")
    print(f"verify (rows):        {o:6.2f} s (median)")
    print(f"baseline (one scan):  {b:6.2f} s (median)")
    print(
        f"ratio verify/baseline: {o / b:.1f}; {o * 100_000 / args.versions:.2f} s per 100k versions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
