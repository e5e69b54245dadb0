"""A crawl killed (SIGKILL) at 20 seeded moments, inside writes and between them, on
SQLite and PostgreSQL: after each, `kgnews verify --warc` passes, and the next crawl
archives every page exactly once.

The moments are fault points (crawler.store.faults): a new version inserted but not
committed, an article's fetch row added but not committed, a raw page written to WARC
before anything reached the database; each at the Nth time it is reached.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.store.engine import make_engine, resolve_url
from crawler.store.faults import ENV
from crawler.store.models import Article, ArticleVersion
from tests.conftest import BACKENDS, fresh_database
from tests.crawl.harness import FIXTURES, serving, user_sources_file
from tests.helpers import KGNEWS

SITE = FIXTURES / "user-site"
POINTS = ("version_written", "fetch_written", "warc_written")
MOMENTS = [(point, count) for point, count in
           (random.Random(seed).choice([(p, n) for p in POINTS for n in (1, 2, 3)])
            for seed in range(20))]  # fmt: skip
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"]


def kgnews(*args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KGNEWS_DATABASE_URL", ENV)}
    if fault:
        env[ENV] = fault
    return subprocess.run(
        [*KGNEWS, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", BACKENDS)
def test_a_crawl_killed_anywhere_leaves_an_archive_the_next_crawl_completes(
    kind: str, tmp_path: Path
) -> None:
    assert len(MOMENTS) == 20 and {p for p, _ in MOMENTS} == set(POINTS)
    for number, (point, count) in enumerate(MOMENTS):
        work = tmp_path / f"moment{number}"
        work.mkdir()
        site = Path(shutil.copytree(SITE, work / "site"))
        with fresh_database(kind, work) as url, serving(site) as (server,):
            sources = user_sources_file(work, server.origin)
            crawl = ["crawl", "--sources", str(sources), "--db", url, "--warc-dir",
                     str(work / "warc"), *FAST]  # fmt: skip
            killed = kgnews(*crawl, fault=f"{point}:{count}")
            where = f"moment {number}: {point}:{count}"
            assert killed.returncode == -9, (where, killed.returncode, killed.stderr[-2000:])
            check = ["verify", "--warc", "--db", url, "--warc-dir", str(work / "warc")]
            after_kill = kgnews(*check)
            assert after_kill.returncode == 0, (where, after_kill.stdout)
            again = kgnews(*crawl)
            assert again.returncode == 0, (where, again.stderr[-2000:])
            after_crawl = kgnews(*check)
            assert after_crawl.returncode == 0, (where, after_crawl.stdout)
            engine = make_engine(resolve_url(url))
            with Session(engine) as session:
                articles = session.scalars(select(Article.url)).all()
                versions = session.scalar(select(func.count()).select_from(ArticleVersion))
            engine.dispose()
            assert sorted(u.rsplit("/", 1)[1] for u in articles) == ["101", "102", "103"], where
            assert versions == 3, where  # each page archived exactly once
