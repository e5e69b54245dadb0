"""Migrations on SQLite and PostgreSQL: one head, up and down, and models that match."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from crawler.errors import DatabaseError
from crawler.store import migrate
from crawler.store.models import Base, is_modelled

# The schema people write SQL against, as the foundation issue lists it, plus what we
# added: fetches.source_id, article_versions.tags and image_url (0001); articles'
# validators and last change, and crawl_locks (0002, revisits); WARC pointers (0003);
# what extraction made of each fetch, and source_health (0005); fetch keys (0006);
# feeds' and sitemaps' validators (0007); an index of fetches by outcome (0008); the search
# vector split as FTS5 splits (0009); the run's node (0010); two summary tables kept by
# triggers (0011).
EXPECTED_COLUMNS = {
    "sources": {"id", "key", "name", "base_url", "language"},
    "discovery_pages": {"url", "etag", "last_modified", "fetched_at"},
    "articles": {
        "id",
        "source_id",
        "url",
        "first_seen_at",
        "last_fetched_at",
        "current_version_id",
        "published_at",
        "last_changed_at",
        "etag",
        "last_modified",
    },
    "article_versions": {
        "id",
        "article_id",
        "version",
        "fetched_at",
        "content_hash",
        "title",
        "body",
        "lead",
        "authors",
        "published_at",
        "modified_at",
        "language",
        "word_count",
        "extractor",
        "tags",
        "image_url",
        "chars_added",
        "chars_removed",
        "title_changed",
    },
    "fetches": {
        "id",
        "fetch_key",
        "crawl_run_id",
        "source_id",
        "article_id",
        "url",
        "fetched_at",
        "http_status",
        "outcome",
        "error",
        "etag",
        "last_modified",
        "bytes",
        "elapsed_ms",
        "warc_file",
        "warc_offset",
        "warc_record_id",
        "payload_digest",
        "words",
        "language",
        "fallback",
    },
    "source_health": {
        "id",
        "crawl_run_id",
        "source_id",
        "measured_at",
        "links_found",
        "pages_fetched",
        "new_count",
        "changed_count",
        "unchanged_count",
        "not_modified_count",
        "skipped_count",
        "error_count",
        "refusals",
        "selector_pages",
        "selector_hits",
        "median_words",
        "trailing_median_words",
        "languages",
        "last_new_at",
        "usual_gap_hours",
        "off_site_redirects",
        "warnings",
    },
    "crawl_locks": {"source_key", "crawl_run_id", "host", "pid", "acquired_at", "heartbeat_at"},
    "crawl_runs": {
        "id",
        "started_at",
        "finished_at",
        "status",
        "sources",
        "node",
        "new_count",
        "changed_count",
        "unchanged_count",
        "not_modified_count",
        "skipped_count",
        "error_count",
    },
    "current_authors": {"article_id", "position", "author"},
    "late_edits": {"article_id", "first_late_edit_at"},
}


def test_one_head() -> None:
    script = ScriptDirectory(str(migrate.migrations_dir()))
    assert len(script.get_heads()) == 1


def tables(engine: Engine) -> set[str]:
    return {t for t in inspect(engine).get_table_names() if is_modelled(t, "table")} - {
        "alembic_version"
    }


def test_upgrade_creates_the_tables(engine: Engine) -> None:
    migrate.upgrade(engine)
    inspector = inspect(engine)
    assert tables(engine) == set(EXPECTED_COLUMNS)
    for table, columns in EXPECTED_COLUMNS.items():
        names = {
            c["name"] for c in inspector.get_columns(table) if is_modelled(c["name"], "column")
        }
        assert names == columns, table
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_indexes_for_the_obvious_queries(archive: Engine) -> None:
    inspector = inspect(archive)
    articles = {tuple(ix["column_names"]) for ix in inspector.get_indexes("articles")}
    assert ("source_id", "published_at") in articles
    unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("articles")}
    assert ("url",) in unique
    versions = {
        tuple(u["column_names"]) for u in inspector.get_unique_constraints("article_versions")
    }
    assert ("article_id", "version") in versions
    fetches = {tuple(ix["column_names"]) for ix in inspector.get_indexes("fetches")}
    assert {("url",), ("article_id", "fetched_at"), ("source_id", "fetched_at")} <= fetches


def test_timestamps_are_timezone_aware_on_postgresql(archive: Engine) -> None:
    if archive.dialect.name != "postgresql":
        pytest.skip("SQLite has no timestamp type; UTCDateTime stores UTC text")
    columns = {c["name"]: c["type"] for c in inspect(archive).get_columns("articles")}
    assert getattr(columns["first_seen_at"], "timezone", False) is True


def test_upgrade_downgrade_upgrade(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert tables(engine) == set()
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert tables(engine) == set(EXPECTED_COLUMNS)


def test_every_revision_steps_down_and_up(engine: Engine) -> None:
    script = ScriptDirectory(str(migrate.migrations_dir()))
    revisions = [r.revision for r in script.walk_revisions("base", "heads")][::-1]
    for revision in revisions:
        migrate.upgrade(engine, revision)
    for revision in reversed(revisions):
        migrate.downgrade(engine, "-1")
        assert migrate.current_revision(engine) == script.get_revision(revision).down_revision
    migrate.upgrade(engine)


def test_models_match_the_migrated_schema(archive: Engine) -> None:
    with archive.connect() as connection:
        options = {
            "compare_type": True,
            "include_name": lambda name, type_, _parents: is_modelled(name, type_),
        }
        context = MigrationContext.configure(connection, opts=options)
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_keeps_foreign_keys_on_after_migrating(archive: Engine) -> None:
    if archive.dialect.name != "sqlite":
        pytest.skip("a SQLite pragma")
    with archive.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_empty_database_is_migrated_only_when_asked(engine: Engine) -> None:
    with pytest.raises(DatabaseError, match="kgnews db upgrade"):
        migrate.ensure_schema(engine, migrate_if_empty=False)
    migrate.ensure_schema(engine, migrate_if_empty=True)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_unknown_revision_is_refused_and_left_alone(archive: Engine) -> None:
    with archive.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseError, match=r"9999.*newer kgnews"):
        migrate.ensure_schema(archive, migrate_if_empty=True)
    with pytest.raises(DatabaseError, match="newer kgnews"):
        migrate.upgrade(archive)
    assert migrate.current_revision(archive) == "9999"
    assert tables(archive) == set(EXPECTED_COLUMNS)


def test_a_database_of_something_else_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    with pytest.raises(DatabaseError, match="not a kgnews archive"):
        migrate.ensure_schema(engine, migrate_if_empty=True)
    assert tables(engine) == {"invoices"}


def test_0002_keeps_the_data(engine: Engine) -> None:
    migrate.upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO sources (id, key, name, base_url, language) VALUES (1, 'k', 'K', 'https://k.kg/', 'ky')"
            )
        )
        c.execute(
            text(
                "INSERT INTO articles (id, source_id, url, first_seen_at, last_fetched_at) VALUES (1, 1, 'https://k.kg/a/1', :t, :t)"
            ),
            {"t": "2024-01-02 03:04:05"},
        )
        c.execute(
            text(
                "INSERT INTO article_versions (id, article_id, version, fetched_at, content_hash, title, body,"
                " authors, word_count, extractor, tags) VALUES (1, 1, 1, :t, 'h', 'T', 'B', '[]', 1, 'x', '[]')"
            ),
            {"t": "2024-01-02 03:04:05"},
        )
        c.execute(text("UPDATE articles SET current_version_id = 1"))
    migrate.upgrade(engine)
    with engine.connect() as c:
        row = c.execute(text("SELECT url, last_changed_at, etag FROM articles")).one()
    assert row[0] == "https://k.kg/a/1"
    assert row[1] is None  # one version: never edited
    assert row[2] is None
    migrate.downgrade(engine, "0001")
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM article_versions")).scalar() == 1
