"""PostgreSQL's search vector splits words where SQLite's FTS5 does.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

PostgreSQL's text parser keeps some tokens whole that FTS5 (unicode61) splits: dates
and decimals (01.03.2025, 3.5), hosts and addresses (24.kg, info@mail.kg), hyphenated
words (COVID-19, Ысык-Көл: the whole word besides its parts), signed numbers (-5). So
a search for 2025, kg or 19 found an article on SQLite and missed it on PostgreSQL. The
vector is now made from the text with those joining characters turned into spaces, so
both backends index the same words at the same positions. SQLite: nothing to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_article_versions_search_vector"
TEXT = "coalesce(title, '') || ' ' || coalesce(body, '')"
# (":" just before a quote: in SQLAlchemy's text() a colon before a letter is a parameter)
SPLIT = f"regexp_replace({TEXT}, '[-./@+_&#;<>%=?~:''’]+', ' ', 'g')"


def _vector(expression: str) -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.execute("ALTER TABLE article_versions DROP COLUMN search_vector")
    op.execute(
        "ALTER TABLE article_versions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS"
        f" (to_tsvector('simple', {expression})) STORED"
    )
    op.execute(f"CREATE INDEX {INDEX} ON article_versions USING gin (search_vector)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _vector(SPLIT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _vector(TEXT)
