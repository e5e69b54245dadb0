"""Source health: what extraction made of each fetch, and each source's numbers per run.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

- fetches.words / language / fallback: the body's words, the language detected, and why
  the source's body selector was not used (the generic path found the body);
- source_health: one row per crawl run and source, with the warnings it raised.

Types are spelled out here rather than imported from crawler.store.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("fetches", sa.Column("words", sa.Integer(), nullable=True))
    op.add_column("fetches", sa.Column("language", sa.String(length=16), nullable=True))
    op.add_column("fetches", sa.Column("fallback", sa.Text(), nullable=True))
    op.create_table(
        "source_health",
        sa.Column("id", _ID, nullable=False),
        sa.Column("crawl_run_id", _ID, nullable=False),
        sa.Column("source_id", _ID, nullable=False),
        sa.Column("measured_at", _TIME, nullable=False),
        *[
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "links_found",
                "pages_fetched",
                "new_count",
                "changed_count",
                "unchanged_count",
                "not_modified_count",
                "skipped_count",
                "error_count",
            )
        ],
        sa.Column("refusals", _JSON, nullable=False),
        sa.Column("selector_pages", sa.Integer(), nullable=False),
        sa.Column("selector_hits", sa.Integer(), nullable=False),
        sa.Column("median_words", sa.Float(), nullable=True),
        sa.Column("trailing_median_words", sa.Float(), nullable=True),
        sa.Column("languages", _JSON, nullable=False),
        sa.Column("last_new_at", _TIME, nullable=True),
        sa.Column("usual_gap_hours", sa.Float(), nullable=True),
        sa.Column("off_site_redirects", _JSON, nullable=False),
        sa.Column("warnings", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_runs.id"], name="fk_source_health_crawl_run_id_crawl_runs"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_source_health_source_id_sources"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_source_health"),
        sa.UniqueConstraint(
            "crawl_run_id", "source_id", name="uq_source_health_crawl_run_id_source_id"
        ),
    )
    op.create_index(
        "ix_source_health_source_id_measured_at", "source_health", ["source_id", "measured_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_source_health_source_id_measured_at", "source_health")
    op.drop_table("source_health")
    with op.batch_alter_table("fetches") as batch:  # SQLite before 3.35 drops no column
        batch.drop_column("fallback")
        batch.drop_column("language")
        batch.drop_column("words")
