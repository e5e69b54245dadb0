"""Discovery pages: feeds asked for again with conditional requests.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

- discovery_pages: each feed URL last read whole, with the ETag and
  Last-Modified it came with; the next crawl sends them back (If-None-Match,
  If-Modified-Since), and a site that says 304 sends nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discovery_pages",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_discovery_pages"),
    )


def downgrade() -> None:
    op.drop_table("discovery_pages")
