"""An index of fetches by outcome, for the questions asked of errors and revisits.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

- fetches (outcome, source_id, fetched_at): failed fetches per source and their latest
  reason, and revisits answered 304, are read from the index alone, not from every
  fetch of the archive (a full scan grows with every run).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_fetches_outcome_source_id_fetched_at"


def upgrade() -> None:
    op.create_index(NAME, "fetches", ["outcome", "source_id", "fetched_at"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="fetches")
