"""Fixtures shared by the whole suite: archives on SQLite and PostgreSQL.

PostgreSQL tests run when KGNEWS_TEST_POSTGRES_URL names a database the suite may
use (.ci/run creates a fresh one per run); each test gets a schema of its own in
it, dropped afterwards. Without the variable they are skipped, with the reason.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import Engine, text

from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import upgrade

# Hypothesis keeps its examples and caches in ./.hypothesis of the working folder: none
# of it here, and its caches in a temporary folder removed at exit.
settings.register_profile("kgnews", database=None)
settings.load_profile("kgnews")
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="kgnews-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)

POSTGRES_ENV = "KGNEWS_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("KGNEWS_REQUIRE_POSTGRES"):
        pytest.fail(f"KGNEWS_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not")
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1/test)"
        )
    return url


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """A URL for an empty database: a SQLite file in `directory`, or a PostgreSQL schema
    of its own (dropped afterwards) in the database KGNEWS_TEST_POSTGRES_URL names."""
    if kind == "sqlite":
        yield f"sqlite:///{directory}/archive.sqlite3"
        return
    base = postgres_base_url()
    schema = f"kgnews_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(resolve_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database, on each backend in turn."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty database."""
    engine = make_engine(resolve_url(db_url))
    yield engine
    engine.dispose()


@pytest.fixture
def archive(engine: Engine) -> Engine:
    """An engine on a database migrated to the head revision."""
    upgrade(engine)
    return engine


# What Python, pytest and the linters leave in a working folder by themselves.
_TOOLS_OWN = {".pytest_cache", "__pycache__", ".mypy_cache", ".ruff_cache", ".coverage"}


@pytest.fixture(autouse=True, scope="session")
def _the_session_in_a_folder_of_its_own(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Module- and session-scoped fixtures (a crawled archive shared by a module) run
    before any test's own folder: they get one too. At the end, the user's working
    folder must hold what it held (a crawl's ./kgnews-warc would show there)."""
    users = Path.cwd()
    before = {entry.name for entry in users.iterdir()}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("session-cwd"))
        yield
    left = sorted({entry.name for entry in users.iterdir()} - before - _TOOLS_OWN)
    if left:
        pytest.fail(f"the tests wrote into the working folder {users}: {left}")


@pytest.fixture(autouse=True)
def _in_a_folder_of_its_own(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test runs in an empty folder of its own, so nothing it writes by default
    (a crawl's ./kgnews-warc, ./kgnews.sqlite3) lands in the user's working folder."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
