"""`kgnews demo`: the bundled mirrors crawled into a local SQLite file, no network."""

from __future__ import annotations

import sqlite3
import tomllib
from pathlib import Path

from tests.helpers import run_kgnews

MIRRORS = Path(__file__).resolve().parent / "fixtures" / "mirrors"


def test_demo_archives_every_mirror_and_says_what_to_try(tmp_path: Path) -> None:
    expected = {
        directory.name: len(
            tomllib.loads((directory / "mirror.toml").read_text(encoding="utf-8"))["articles"]
        )
        for directory in MIRRORS.iterdir()
        if (directory / "mirror.toml").is_file()
    }
    result = run_kgnews("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    db = tmp_path / "kgnews-demo.sqlite3"
    assert (
        f"Archived {sum(expected.values())} articles from {len(expected)} sources" in result.stdout
    )
    assert f'sqlite3 {db} "SELECT' in result.stdout
    query = result.stdout.split(f'sqlite3 {db} "', 1)[1].split('"', 1)[0]
    with sqlite3.connect(db) as connection:
        rows = connection.execute(query).fetchall()
        per_source = dict(connection.execute(
            "SELECT s.key, count(*) FROM articles a JOIN sources s ON s.id = a.source_id GROUP BY s.key"
        ).fetchall())  # fmt: skip
    assert len(rows) == 10 and all(title for _key, _when, title, _words in rows)
    assert per_source == expected
    assert any((tmp_path / "kgnews-demo-warc").glob("*.warc.gz"))
