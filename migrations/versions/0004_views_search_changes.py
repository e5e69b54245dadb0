"""The archive as people query it: change sizes, views, full-text search, more indexes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

- article_versions.chars_added / chars_removed / title_changed: how much each version
  changed (backfilled here with the same word-level diff the crawler uses);
- views latest_versions and version_changes;
- full-text search over title and body, kept in step with writes inside the same
  transaction: on SQLite an FTS5 table `version_search` filled by triggers, on
  PostgreSQL a generated tsvector column `search_vector` ('simple' configuration
  over the stored, already normalised text) with a GIN index;
- indexes: articles.first_seen_at, and on article_versions a covering index of the
  small columns (fetched_at first) that the statistics queries read, so they never walk
  the pages of the bodies stored before those columns.

Note for later migrations: a SQLite batch operation that rebuilds article_versions
drops the FTS5 triggers; such a migration must create them again (see below).
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The covering index of the statistics queries (docs/queries.sql).
STATS = [
    "fetched_at", "version", "article_id", "word_count", "chars_added", "chars_removed",
    "title_changed", "language",
]  # fmt: skip

LATEST_VERSIONS = """
CREATE VIEW latest_versions AS
SELECT a.id AS article_id, s.key AS source, a.url, a.published_at, a.first_seen_at,
       a.last_fetched_at, a.last_changed_at, v.id AS version_id, v.version, v.fetched_at,
       v.title, v.lead, v.body, v.authors, v.tags, v.language, v.word_count, v.modified_at,
       v.image_url, v.extractor, v.content_hash
  FROM articles a
  JOIN sources s ON s.id = a.source_id
  JOIN article_versions v ON v.id = a.current_version_id
"""
VERSION_CHANGES = """
CREATE VIEW version_changes AS
SELECT v.article_id, s.key AS source, a.url, a.published_at, v.id AS version_id, v.version,
       v.fetched_at, p.version AS previous_version, p.fetched_at AS previous_fetched_at,
       p.title AS previous_title, v.title, v.title_changed,
       v.chars_added, v.chars_removed, v.word_count, v.word_count - p.word_count AS words_delta
  FROM article_versions v
  JOIN articles a ON a.id = v.article_id
  JOIN sources s ON s.id = a.source_id
  LEFT JOIN article_versions p ON p.article_id = v.article_id AND p.version = v.version - 1
"""
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE version_search USING fts5(title, body, content='article_versions',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER version_search_insert AFTER INSERT ON article_versions BEGIN"
    " INSERT INTO version_search(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER version_search_delete AFTER DELETE ON article_versions BEGIN"
    " INSERT INTO version_search(version_search, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER version_search_update AFTER UPDATE OF title, body ON article_versions BEGIN"
    " INSERT INTO version_search(version_search, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body);"
    " INSERT INTO version_search(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "INSERT INTO version_search(version_search) VALUES ('rebuild')",
]
POSTGRES_SEARCH = [
    "ALTER TABLE article_versions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS"
    " (to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body, ''))) STORED",
    "CREATE INDEX ix_article_versions_search_vector ON article_versions USING gin (search_vector)",
]


def _chars_changed(old: str, new: str) -> tuple[int, int]:
    a, b = old.split(), new.split()
    added = removed = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += len(" ".join(a[i1:i2]))
            added += len(" ".join(b[j1:j2]))
    return added, removed


def upgrade() -> None:
    with op.batch_alter_table("article_versions") as batch:
        for name in ("chars_added", "chars_removed"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("title_changed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, article_id, title, body FROM article_versions ORDER BY article_id, version"
        )
    ).all()
    previous: dict[int, tuple[str, str]] = {}
    for version_id, article_id, title, body in rows:
        before = previous.get(article_id)
        old = f"{before[0]}\n{before[1]}" if before else ""
        added, removed = _chars_changed(old, f"{title}\n{body}")
        previous[article_id] = (title, body)
        connection.execute(
            sa.text(
                "UPDATE article_versions SET chars_added = :a, chars_removed = :r,"
                " title_changed = :t WHERE id = :id"
            ),
            {
                "a": added,
                "r": removed,
                "t": before is not None and before[0] != title,
                "id": version_id,
            },
        )
    op.create_index("ix_article_versions_fetched_at_version", "article_versions", STATS)
    op.create_index("ix_articles_first_seen_at", "articles", ["first_seen_at"])
    op.execute(LATEST_VERSIONS)
    op.execute(VERSION_CHANGES)
    for statement in SQLITE_SEARCH if connection.dialect.name == "sqlite" else POSTGRES_SEARCH:
        op.execute(statement)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for trigger in ("version_search_insert", "version_search_delete", "version_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS version_search")
    else:
        op.drop_index("ix_article_versions_search_vector", "article_versions")
        op.execute("ALTER TABLE article_versions DROP COLUMN search_vector")
    op.execute("DROP VIEW version_changes")
    op.execute("DROP VIEW latest_versions")
    op.drop_index("ix_articles_first_seen_at", "articles")
    op.drop_index("ix_article_versions_fetched_at_version", "article_versions")
    with op.batch_alter_table("article_versions") as batch:
        batch.drop_column("title_changed")
        batch.drop_column("chars_removed")
        batch.drop_column("chars_added")
