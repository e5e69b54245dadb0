"""Two or more crawler processes writing the same articles at the same moment."""

from __future__ import annotations

import collections
import fcntl
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.store.models import Article, ArticleVersion

WORKERS = 4
URLS = 12
WRITER = Path(__file__).with_name("concurrent_writer.py")


def run_writers(db_url: str, tmp_path: Path, mode: str) -> list[list[list[object]]]:
    gate = tmp_path / "gate"
    gate.touch()
    with gate.open() as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        processes = [
            subprocess.Popen(
                [sys.executable, str(WRITER), db_url, str(gate), str(n), mode, str(URLS)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(WORKERS)
        ]
        # Every worker says "ready" just before it blocks on the gate; then all go at once.
        for process in processes:
            assert process.stdout is not None
            process.stdout.readline()
        fcntl.flock(handle, fcntl.LOCK_UN)
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    return results


def per_url_versions(engine: Engine) -> dict[str, list[int]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Article.url, ArticleVersion.version)
            .join(ArticleVersion, ArticleVersion.article_id == Article.id)
            .order_by(Article.url, ArticleVersion.version)
        )
        found: dict[str, list[int]] = collections.defaultdict(list)
        for url, version in rows:
            found[url].append(version)
        return dict(found)


def article_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Article)) or 0


@pytest.mark.parametrize("mode", ["same", "own", "same-batch", "own-batch"])
def test_concurrent_writers_never_duplicate(
    archive: Engine, db_url: str, tmp_path: Path, mode: str
) -> None:
    results = run_writers(db_url, tmp_path, mode)

    assert article_count(archive) == URLS  # never two articles for one URL
    outcomes: dict[str, list[str]] = collections.defaultdict(list)
    for worker in results:
        for url, outcome, _version in worker:
            outcomes[str(url)].append(str(outcome))
    versions = per_url_versions(archive)
    for url, seen in outcomes.items():
        assert seen.count("new") == 1, (url, seen)
        if mode.startswith("same"):
            assert versions[url] == [1]
            assert sorted(seen) == ["new"] + ["unchanged"] * (WORKERS - 1)
        else:
            assert versions[url] == list(range(1, WORKERS + 1))  # no gap, no repeat
            assert sorted(seen) == ["changed"] * (WORKERS - 1) + ["new"]
