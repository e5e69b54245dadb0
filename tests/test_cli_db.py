"""`kgnews db …` and `kgnews stats` as a user runs them, with good and bad databases."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import head_revision
from tests.helpers import (
    assert_user_error,
    on_read_only_mount,
    read_only_mount_works,
    run_kgnews,
)


def test_db_upgrade_then_current(db_url: str) -> None:
    first = run_kgnews("db", "upgrade", "--db", db_url)
    assert first.returncode == 0, first.stderr
    assert f"migrated from empty to {head_revision()}" in first.stdout

    again = run_kgnews("db", "upgrade", "--db", db_url)
    assert f"already at revision {head_revision()}" in again.stdout

    current = run_kgnews("db", "current", "--db", db_url)
    assert current.stdout.strip() == f"{head_revision()} (head)"
    tables = set(inspect(make_engine(resolve_url(db_url))).get_table_names())
    assert {"sources", "articles", "article_versions", "fetches", "crawl_runs"} <= tables


def test_the_environment_variable_names_the_database(tmp_path: Path) -> None:
    target = tmp_path / "from-env.sqlite3"
    result = run_kgnews("db", "upgrade", env={"KGNEWS_DATABASE_URL": f"sqlite:///{target}"})
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    assert target.exists()


def test_default_database_is_a_file_in_the_working_directory(tmp_path: Path) -> None:
    result = run_kgnews("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "kgnews.sqlite3").exists()


def test_stats_on_an_empty_archive(tmp_path: Path) -> None:
    db = str(tmp_path / "a.sqlite3")
    run_kgnews("db", "upgrade", "--db", db)
    result = run_kgnews("stats", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "articles" in result.stdout and "versions" in result.stdout


def test_stats_on_a_database_never_migrated_says_what_to_do(tmp_path: Path) -> None:
    empty = tmp_path / "new.sqlite3"
    empty.touch()  # a database with no tables (a missing file: see below)
    result = run_kgnews("stats", "--db", str(empty))
    assert_user_error(result, "kgnews db upgrade")


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("mysql://root@localhost/news", ["unsupported database", "sqlite:///"]),
        ("postgresql://nobody@127.0.0.1:1/news", ["cannot connect", "127.0.0.1:1"]),
        ("postgresql://u:secret@[broken", ["cannot connect"]),
        ("sqlite://", ["in-memory"]),
    ],
)
def test_bad_database_urls(url: str, fragments: list[str]) -> None:
    result = run_kgnews("db", "upgrade", "--db", url)
    assert_user_error(result, *fragments)
    assert "secret" not in result.stderr


def test_missing_directory(tmp_path: Path) -> None:
    result = run_kgnews(
        "db", "upgrade", "--db", str(tmp_path / "no" / "such" / "dir" / "a.sqlite3")
    )
    assert_user_error(result, "does not exist")
    assert not (tmp_path / "no").exists()


def test_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not a database\n" * 100)
    result = run_kgnews("stats", "--db", str(junk))
    assert_user_error(result, "not a SQLite database")
    assert junk.read_text() == "this is not a database\n" * 100


def test_read_only_database_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    sqlite3.connect(path).close()  # an empty database file
    before = path.read_bytes()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    result = run_kgnews("db", "upgrade", "--db", read_only)
    assert_user_error(result, "read-only")
    assert path.read_bytes() == before


def test_an_archive_on_a_read_only_mount_is_not_migrated(tmp_path: Path) -> None:
    # Root writes through file permissions: a real read-only mount (a mount namespace of
    # the test's own) shows what a user on read-only media sees.
    if shutil.which("unshare") is None or not read_only_mount_works(tmp_path):
        pytest.skip("needs `unshare -rm` to make a read-only mount")
    path = tmp_path / "ro.sqlite3"
    sqlite3.connect(path).close()
    result = on_read_only_mount(tmp_path, "db", "upgrade", "--db", str(path))
    assert_user_error(result, "is read-only")
    assert path.read_bytes() == b""


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    run_kgnews("db", "upgrade", "--db", str(db))
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'zz99'")
    assert_user_error(run_kgnews("stats", "--db", str(db)), "zz99", "newer kgnews")
    assert_user_error(run_kgnews("db", "upgrade", "--db", str(db)), "upgrade kgnews")
    assert "unknown" in run_kgnews("db", "current", "--db", str(db)).stdout


def test_help_lists_the_commands() -> None:
    result = run_kgnews("--help")
    assert result.returncode == 0
    for command in ("db", "stats"):
        assert f"  {command} " in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["search", "Бишкек"],
        ["history", "https://x.kg/a/1"],
        ["export", "--format", "jsonl"],
        ["runs"],
        ["health"],
        ["verify"],
        ["db", "current"],
    ],
)
def test_a_read_command_on_a_mistyped_path_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "kgnews.sqlite"  # a typo for kgnews.sqlite3
    result = run_kgnews(*command, "--db", str(missing))
    assert_user_error(result, f"no archive at {missing}", "check --db")
    assert list(tmp_path.iterdir()) == []
