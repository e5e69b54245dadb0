"""Two summary tables kept by triggers, so two documented questions stay fast at scale.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

- current_authors: one row per author of each article's current version (article_id,
  position in the list, author). `top_authors` counts these rows instead of reading the
  JSON authors of every current version, which sit after the bodies on disk.
- late_edits: for each article edited more than 24 hours after it was published, the
  time of the first such edit (`edited_late`). An edit is a version after the first;
  the rule is the one the query applied before this migration.

Both are kept by triggers in the transaction that writes the rows they summarise, so
every writer that writes in kgnews's order (an article, then its versions, then its
current version and date: the crawl's batches, single writes, reextract, SQL written the
same way) keeps them right; `kgnews verify` checks them against their definitions:

- current_authors is rewritten for an article when its current_version_id changes;
- late_edits takes a version after the first when it is late against the article's
  published_at, keeping the earliest; and is recomputed for an article from its versions
  when its published_at changes.

Versions and articles are never deleted or rewritten in place by kgnews, and an article
is never inserted with its current version already set (its versions need it first), so
no trigger handles those (`kgnews export --format sqlite`, which copies with foreign keys
off, copies these two tables last, over what its triggers made). Like the FTS5 triggers
of 0004, these are dropped by a SQLite batch operation that rebuilds articles or
article_versions: such a migration must create them again. Both tables are filled here
from the existing archive; on PostgreSQL, migrations/env.py holds writes off for the
whole upgrade, so none lands between the fill and the triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)

# "late": fetched more than 24 hours after the article's published_at. On SQLite the
# times are text of one fixed form ("2026-01-05 10:30:00.000000"): compared as text, to
# the microsecond (julianday() would round both to the millisecond).
SQLITE_LATE = (
    "{v}.fetched_at > datetime(substr({a}.published_at, 1, 19), '+1 day')"
    " || substr({a}.published_at, 20)"
)  # (the fraction cut off first: datetime() would round .9995 s up to the next second)
POSTGRES_LATE = "{v}.fetched_at - {a}.published_at > INTERVAL '24 hours'"

# The authors of the current versions of the articles that `where` picks: the strings of
# the JSON list, at their places in it (anything else in it, or a value not a list, is
# no author).
SQLITE_AUTHORS = """
INSERT INTO current_authors (article_id, position, author)
SELECT a.id, e.key, e.value
  FROM articles a JOIN article_versions v ON v.id = a.current_version_id, json_each(v.authors) e
 WHERE {where} AND json_type(v.authors) = 'array' AND e.type = 'text'
"""
POSTGRES_AUTHORS = """
INSERT INTO current_authors (article_id, position, author)
SELECT a.id, e.position - 1, e.author #>> '{{}}'
  FROM articles a JOIN article_versions v ON v.id = a.current_version_id,
       jsonb_array_elements(
           CASE WHEN jsonb_typeof(v.authors) = 'array' THEN v.authors END
       ) WITH ORDINALITY AS e(author, position)
 WHERE {where} AND jsonb_typeof(e.author) = 'string'
"""
# The first late edit of the articles that `where` picks, from their versions.
LATE_EDITS = """
INSERT INTO late_edits (article_id, first_late_edit_at)
SELECT v.article_id, min(v.fetched_at)
  FROM article_versions v JOIN articles a ON a.id = v.article_id
 WHERE v.version > 1 AND a.published_at IS NOT NULL AND {late} AND {where}
 GROUP BY v.article_id
"""


def _sqlite() -> list[str]:
    late = SQLITE_LATE.format(v="new", a="a")
    return [
        "CREATE TRIGGER current_authors_follow AFTER UPDATE OF current_version_id ON articles"
        " WHEN new.current_version_id IS NOT old.current_version_id BEGIN"
        " DELETE FROM current_authors WHERE article_id = new.id;"
        + SQLITE_AUTHORS.format(where="a.id = new.id")
        + "; END",
        "CREATE TRIGGER late_edits_version AFTER INSERT ON article_versions"
        " WHEN new.version > 1 BEGIN"
        " INSERT INTO late_edits (article_id, first_late_edit_at)"
        f" SELECT new.article_id, new.fetched_at FROM articles a"
        f" WHERE a.id = new.article_id AND a.published_at IS NOT NULL AND {late}"
        " ON CONFLICT (article_id) DO UPDATE SET first_late_edit_at ="
        " min(first_late_edit_at, excluded.first_late_edit_at); END",
        "CREATE TRIGGER late_edits_published AFTER UPDATE OF published_at ON articles"
        " WHEN new.published_at IS NOT old.published_at BEGIN"
        " DELETE FROM late_edits WHERE article_id = new.id;"
        + LATE_EDITS.format(late=SQLITE_LATE.format(v="v", a="a"), where="a.id = new.id")
        + "; END",
    ]


def _postgres() -> list[str]:
    late = POSTGRES_LATE.format(v="NEW", a="a")
    return [
        "CREATE FUNCTION kgnews_current_authors() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN DELETE FROM current_authors WHERE article_id = NEW.id;"
        + POSTGRES_AUTHORS.format(where="a.id = NEW.id")
        + "; RETURN NULL; END $$",
        "CREATE TRIGGER current_authors_follow AFTER UPDATE OF current_version_id ON articles"
        " FOR EACH ROW WHEN (NEW.current_version_id IS DISTINCT FROM OLD.current_version_id)"
        " EXECUTE FUNCTION kgnews_current_authors()",
        "CREATE FUNCTION kgnews_late_edits_version() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN"
        " INSERT INTO late_edits (article_id, first_late_edit_at)"
        " SELECT NEW.article_id, NEW.fetched_at FROM articles a"
        f" WHERE a.id = NEW.article_id AND a.published_at IS NOT NULL AND {late}"
        " ON CONFLICT (article_id) DO UPDATE SET first_late_edit_at ="
        " least(late_edits.first_late_edit_at, excluded.first_late_edit_at);"
        " RETURN NULL; END $$",
        "CREATE TRIGGER late_edits_version AFTER INSERT ON article_versions"
        " FOR EACH ROW WHEN (NEW.version > 1) EXECUTE FUNCTION kgnews_late_edits_version()",
        "CREATE FUNCTION kgnews_late_edits_published() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN DELETE FROM late_edits WHERE article_id = NEW.id;"
        + LATE_EDITS.format(late=POSTGRES_LATE.format(v="v", a="a"), where="a.id = NEW.id")
        + "; RETURN NULL; END $$",
        "CREATE TRIGGER late_edits_published AFTER UPDATE OF published_at ON articles"
        " FOR EACH ROW WHEN (NEW.published_at IS DISTINCT FROM OLD.published_at)"
        " EXECUTE FUNCTION kgnews_late_edits_published()",
    ]


def upgrade() -> None:
    op.create_table(
        "current_authors",
        sa.Column("article_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_current_authors_article_id_articles"
        ),
        sa.PrimaryKeyConstraint("article_id", "position", name="pk_current_authors"),
    )
    op.create_table(
        "late_edits",
        sa.Column("article_id", ID, nullable=False),
        sa.Column("first_late_edit_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_late_edits_article_id_articles"
        ),
        sa.PrimaryKeyConstraint("article_id", name="pk_late_edits"),
    )
    op.create_index("ix_late_edits_first_late_edit_at", "late_edits", ["first_late_edit_at"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute((SQLITE_AUTHORS if sqlite else POSTGRES_AUTHORS).format(where="true"))
    late = (SQLITE_LATE if sqlite else POSTGRES_LATE).format(v="v", a="a")
    op.execute(LATE_EDITS.format(late=late, where="true"))
    for statement in _sqlite() if sqlite else _postgres():
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for trigger, table in (
        ("current_authors_follow", "articles"),
        ("late_edits_version", "article_versions"),
        ("late_edits_published", "articles"),
    ):
        op.execute(f"DROP TRIGGER {trigger}" if sqlite else f"DROP TRIGGER {trigger} ON {table}")
    if not sqlite:
        for function in ("current_authors", "late_edits_version", "late_edits_published"):
            op.execute(f"DROP FUNCTION kgnews_{function}()")
    op.drop_index("ix_late_edits_first_late_edit_at", table_name="late_edits")
    op.drop_table("late_edits")
    op.drop_table("current_authors")
