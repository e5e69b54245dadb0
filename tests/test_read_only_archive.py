"""An archive on a read-only medium (a copy on a read-only mount, a backup) can be read
by every read command, and a crawl into it fails with a clear message and changes nothing.

The read-only mount is real: the command runs in a mount namespace of its own
(`unshare`) where the archive's folder is bind-mounted read-only. Root writes through
file permissions, so permissions alone could not show it.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extract.article import Article
from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import upgrade
from crawler.store.versioning import FetchInfo, ensure_source, store_article
from tests.helpers import assert_user_error, on_read_only_mount, read_only_mount_works

URL = "https://kabar.kg/news/bishkekte-zhaan/"
TITLE = "Бишкекте жаан жаады"
BODY = ("Бишкекте кечээ кечинде катуу жаан жаады.", "Шаардын көчөлөрүндө суу толуп калды.")


@pytest.fixture
def read_only_archive(tmp_path: Path) -> Path:
    """A one-article archive, closed cleanly (no -wal or -shm beside it), in a folder
    that the commands below see read-only."""
    folder = tmp_path / "copy #2 of 100%"  # a path a file: URI must escape
    folder.mkdir()
    if shutil.which("unshare") is None or not read_only_mount_works(folder):
        pytest.skip("needs `unshare -rm` to make a read-only mount")
    path = folder / "archive.sqlite3"
    engine = make_engine(resolve_url(str(path)))
    upgrade(engine)
    source = ensure_source(engine, "kabar", "Кабар", "https://kabar.kg/", "ky")
    article = Article(url=URL, title=TITLE, paragraphs=BODY, language="ky", extractor="test")
    store_article(engine, article, FetchInfo(URL, source, datetime(2026, 5, 1, tzinfo=UTC)))
    engine.dispose()
    assert sorted(p.name for p in folder.iterdir()) == ["archive.sqlite3"]
    return path


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["stats"], "kabar"),
        (["search", "жаан"], TITLE),
        (["export", "--format", "jsonl"], BODY[1]),
        (["history", URL], TITLE),
        (["runs"], ""),
        (["health"], ""),
        (["verify"], "no problems"),
    ],
)
def test_every_read_command_reads_a_read_only_archive(
    read_only_archive: Path, command: list[str], expected: str
) -> None:
    before = folder_state(read_only_archive.parent)
    result = on_read_only_mount(read_only_archive.parent, *command, "--db", str(read_only_archive))
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert folder_state(read_only_archive.parent) == before


def test_a_crawl_into_a_read_only_archive_says_so_and_changes_nothing(
    read_only_archive: Path,
) -> None:
    before = folder_state(read_only_archive.parent)
    result = on_read_only_mount(
        read_only_archive.parent, "crawl", "kabar", "--db", str(read_only_archive)
    )
    assert_user_error(result, str(read_only_archive))
    assert folder_state(read_only_archive.parent) == before
