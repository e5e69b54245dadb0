"""Each fetch points to the WARC record that keeps its raw response.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fetches") as batch:
        batch.add_column(sa.Column("warc_file", sa.Text(), nullable=True))
        batch.add_column(sa.Column("warc_offset", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("warc_record_id", sa.Text(), nullable=True))
        batch.add_column(sa.Column("payload_digest", sa.String(length=64), nullable=True))
    op.create_index("ix_fetches_payload_digest", "fetches", ["payload_digest"])


def downgrade() -> None:
    op.drop_index("ix_fetches_payload_digest", "fetches")
    with op.batch_alter_table("fetches") as batch:
        batch.drop_column("payload_digest")
        batch.drop_column("warc_record_id")
        batch.drop_column("warc_offset")
        batch.drop_column("warc_file")
