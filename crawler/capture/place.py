"""Where an archive's WARC files go when no directory is given."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

from crawler.store.engine import sqlite_file


def default_warc_dir(db_url: URL) -> Path:
    """Beside a SQLite archive (news.sqlite3 → news-warc/), else ./kgnews-warc."""
    if db_url.get_backend_name() == "sqlite" and db_url.database:
        database = sqlite_file(db_url)
        return database.with_name(f"{database.stem}-warc")
    return Path("kgnews-warc").absolute()
