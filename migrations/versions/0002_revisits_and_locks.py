"""Revisits and crawl locks: validators and last change per article, one lock per source.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("last_changed_at", TIME, nullable=True))
        batch.add_column(sa.Column("etag", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_modified", sa.Text(), nullable=True))
    # An existing article that was edited last changed when its current version was fetched.
    op.execute(
        "UPDATE articles SET last_changed_at = (SELECT v.fetched_at FROM article_versions v"
        " WHERE v.id = articles.current_version_id AND v.version > 1)"
    )
    op.create_table(
        "crawl_locks",
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("crawl_run_id", ID, nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", TIME, nullable=False),
        sa.Column("heartbeat_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_runs.id"], name="fk_crawl_locks_crawl_run_id_crawl_runs"
        ),
        sa.PrimaryKeyConstraint("source_key", name="pk_crawl_locks"),
    )


def downgrade() -> None:
    op.drop_table("crawl_locks")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("last_modified")
        batch.drop_column("etag")
        batch.drop_column("last_changed_at")
