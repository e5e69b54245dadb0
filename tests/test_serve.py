"""`kgnews serve` on the demo archive, looked at in a real headless Chromium (Debian's).

The browser runs with $HOME and its profile in the test's own folder; the diff page's
screenshot (a phone-sized window) is left in the test's output folder, printed at the end.
"""

from __future__ import annotations

import hashlib
import os
import re
import select
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode
from urllib.request import urlopen

import pytest

from tests.helpers import KGNEWS, assert_user_error, run_kgnews

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FIGURE = "https://ky.kloop.asia/2024/04/18/narynda-zhashtar-uchun-kovorking-borboru-achyldy/"
TITLE = "https://ky.kloop.asia/2024/04/16/ysyk-kol-pliazhdaryndagy-suu-tekserildi/"
DB = "kgnews-demo"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("KGNEWS_REQUIRE_BROWSER"),
    reason="needs Chromium (Debian: apt-get install chromium)",
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve")


@pytest.fixture(scope="module")
def archive(folder: Path) -> Path:
    db = folder / "kgnews-demo.sqlite3"
    built = run_kgnews("demo", "--db", str(db))
    assert built.returncode == 0, built.stdout + built.stderr
    return db


@pytest.fixture(scope="module")
def server(archive: Path) -> Iterator[str]:
    """`kgnews serve` on a free port; its URL from the line it prints once listening."""
    process = subprocess.Popen(
        [*KGNEWS, "serve", "--db", str(archive), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 120)  # no hang if it never says
    line = process.stdout.readline() if ready else ""
    try:
        assert "read-only at http://127.0.0.1:" in line, line + process.communicate()[1]
        yield line.split(" at ", 1)[1].split("/ ", 1)[0]
    finally:
        process.terminate()
        process.communicate(timeout=30)


def browse(folder: Path, url: str, *, screenshot: Path | None = None) -> str:
    """The page's DOM once Chromium has rendered it (or its screenshot, taken)."""
    assert CHROMIUM, "KGNEWS_REQUIRE_BROWSER is set but there is no chromium"
    home = folder / "browser-home"
    home.mkdir(exist_ok=True)
    action = (
        [f"--screenshot={screenshot}", "--window-size=412,1100"] if screenshot else ["--dump-dom"]
    )
    result = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            f"--user-data-dir={home / 'profile'}", *action, url,
        ],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(home)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def hits(output: str) -> int:
    """How many articles `kgnews search` listed ("1. [source] title · date" lines)."""
    return len(re.findall(r"(?m)^\d+\. \[", output))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_home_page_lists_the_tables_views_and_queries(server: str, folder: Path) -> None:
    home = browse(folder, f"{server}/")
    assert "kgnews archive" in home
    database = browse(folder, f"{server}/{DB}")
    for name in ("article_versions", "latest_versions", "edited_late", "Search the archive"):
        assert name in database, name
    table = browse(folder, f"{server}/{DB}/article_versions")
    assert "The text of an article as it was at one time" in table  # from docs/schema.md
    assert "SHA-256 of the normalised title and body" in table  # a column's description


def test_a_canned_query_renders_rows_linked_to_the_article_pages(server: str, folder: Path) -> None:
    page = browse(folder, f"{server}/{DB}/edited_late")
    assert "Articles edited more than 24 hours after they were published" in page
    assert f'href="/-/article/{DB}?{urlencode({"url": FIGURE})}"' in page.replace("&amp;", "&")


def test_a_kyrgyz_search_finds_inflected_forms(server: str, folder: Path) -> None:
    page = browse(folder, f"{server}/{DB}/search?q={quote('Бишкек')}")
    for form in ("[Бишкекте]", "[Бишкектин]", "[Бишкекке]"):
        assert form in page, form
    rows = run_kgnews("search", "Бишкек", "-n", "1000", "--db", str(folder / "kgnews-demo.sqlite3"))
    found = hits(rows.stdout)
    assert page.count("<tr>") - 1 == found  # the same articles as `kgnews search`
    # The table's own search box matches the same way, over every version.
    table = browse(folder, f"{server}/{DB}/article_versions?_search={quote('мектеп')}")
    every = run_kgnews(
        "search",
        "мектеп",
        "--all-versions",
        "-n",
        "1000",
        "--db",
        str(folder / "kgnews-demo.sqlite3"),
    )
    versions = hits(every.stdout)
    exact = run_kgnews(
        "search", "мектеп", "--all-versions", "--exact", "-n", "1000", "--db",
        str(folder / "kgnews-demo.sqlite3"),
    )  # fmt: skip
    assert versions > hits(exact.stdout)
    assert re.search(rf"\b{versions} rows?\s+where search matches", table), table[:400]


def test_an_article_page_marks_the_words_inserted_and_removed(
    server: str, folder: Path, archive: Path
) -> None:
    page = browse(folder, f"{server}/-/article/{DB}?{urlencode({'url': FIGURE})}")
    assert "<del>40</del>" in page and "<ins>60</ins>" in page
    retitled = browse(
        folder, f"{server}/-/article/{DB}?{urlencode({'url': TITLE, 'from': 1, 'to': 2})}"
    )
    assert "<ins>пляжында</ins>" in retitled and "<del>жерде</del>" in retitled
    odd = f"{server}/-/article/{DB}?{urlencode({'url': FIGURE, 'from': '²', 'to': 'x'})}"
    with urlopen(odd) as response:  # numbers that are not: the default versions
        assert response.status == 200 and "<ins>60</ins>" in response.read().decode()
    shot = folder / "output" / "article-diff.png"
    shot.parent.mkdir(exist_ok=True)
    browse(folder, f"{server}/-/article/{DB}?{urlencode({'url': FIGURE})}", screenshot=shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"\nscreenshot of the diff page: {shot}", file=sys.stderr)


def test_nothing_can_be_written(server: str, folder: Path, archive: Path) -> None:
    before = digest(archive)
    page = browse(folder, f"{server}/{DB}?{urlencode({'sql': 'DELETE FROM sources'})}")
    assert "Statement must be a SELECT" in page
    assert digest(archive) == before


def test_a_port_in_use_is_said_in_one_line(archive: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = run_kgnews("serve", "--db", str(archive), "--port", port)
    assert_user_error(result, f"cannot listen on 127.0.0.1 port {port}", "give another --port")


def test_a_postgresql_archive_is_told_how_to_make_a_sqlite_copy() -> None:
    result = run_kgnews("serve", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert_user_error(result, "needs a SQLite archive", "kgnews export --format sqlite")
