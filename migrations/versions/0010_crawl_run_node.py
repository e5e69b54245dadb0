"""Which crawl node ran each crawl.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

- crawl_runs.node: the Scrapyd node (KGNEWS_NODE) that ran the crawl, so that a run
  marked interrupted says which machine died, and its WARC files are found in that
  node's folder. NULL for crawls started by hand, and for every earlier run.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("node", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("node")
