"""Indexes for the questions asked of errors, revisits and authors.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

- fetches (outcome, source_id, fetched_at): failed fetches per source and their latest
  reason, and revisits answered 304, are read from the index alone, not from every
  fetch of the archive (a full scan grows with every run).
- article_versions' index of small columns gains `authors`: the authors of the current
  versions are counted from the index, not by walking every body to the column after it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_fetches_outcome_source_id_fetched_at"
STATS = "ix_article_versions_fetched_at_version"
STATS_COLUMNS = [
    "fetched_at", "version", "article_id", "word_count", "chars_added", "chars_removed",
    "title_changed", "language",
]  # fmt: skip


def upgrade() -> None:
    op.create_index(NAME, "fetches", ["outcome", "source_id", "fetched_at"])
    op.drop_index(STATS, table_name="article_versions")
    op.create_index(STATS, "article_versions", [*STATS_COLUMNS, "authors"])


def downgrade() -> None:
    op.drop_index(STATS, table_name="article_versions")
    op.create_index(STATS, "article_versions", STATS_COLUMNS)
    op.drop_index(NAME, table_name="fetches")
