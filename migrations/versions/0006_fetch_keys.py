"""Fetch keys: a fetch is recorded once, even when its commit's answer was lost.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

- fetches.fetch_key: a key the crawler gives each fetch before its first write. A write
  retried after a lost connection (the commit may have landed) finds the row it already
  wrote instead of adding a second. Unique; empty for rows from before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("fetches", sa.Column("fetch_key", sa.String(length=32), nullable=True))
    op.create_index("ix_fetches_fetch_key", "fetches", ["fetch_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_fetches_fetch_key", "fetches")
    with op.batch_alter_table("fetches") as batch:  # SQLite before 3.35 drops no column
        batch.drop_column("fetch_key")
