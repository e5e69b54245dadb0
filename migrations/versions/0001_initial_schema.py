"""The initial archive: sources, articles, article_versions, fetches, crawl_runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Types are spelled out here rather than imported from crawler.store so that this
revision stays what it was when later code changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OUTCOMES = "'new', 'changed', 'unchanged', 'not_modified', 'skipped', 'error'"
STATUSES = "'running', 'finished', 'failed', 'interrupted'"


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("key", name="uq_sources_key"),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sources", JSON, nullable=False),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("changed_count", sa.Integer(), nullable=False),
        sa.Column("unchanged_count", sa.Integer(), nullable=False),
        sa.Column("not_modified_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_crawl_runs_status"),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_runs"),
    )
    op.create_table(
        "articles",
        sa.Column("id", ID, nullable=False),
        sa.Column("source_id", ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("first_seen_at", TIME, nullable=False),
        sa.Column("last_fetched_at", TIME, nullable=False),
        sa.Column("current_version_id", ID, nullable=True),
        sa.Column("published_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_articles_source_id_sources"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("url", name="uq_articles_url"),
    )
    op.create_index("ix_articles_source_id_published_at", "articles", ["source_id", "published_at"])
    op.create_table(
        "article_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fetched_at", TIME, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("lead", sa.Text(), nullable=True),
        sa.Column("authors", JSON, nullable=False),
        sa.Column("published_at", TIME, nullable=True),
        sa.Column("modified_at", TIME, nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("extractor", sa.String(length=64), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_versions_article_id_articles"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_article_versions"),
        sa.UniqueConstraint("article_id", "version", name="uq_article_versions_article_id_version"),
    )
    # articles and article_versions point at each other: this key comes once both exist.
    with op.batch_alter_table("articles") as batch:
        batch.create_foreign_key(
            "fk_articles_current_version_id_article_versions",
            "article_versions",
            ["current_version_id"],
            ["id"],
        )
    op.create_table(
        "fetches",
        sa.Column("id", ID, nullable=False),
        sa.Column("crawl_run_id", ID, nullable=True),
        sa.Column("source_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fetched_at", TIME, nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"outcome IN ({OUTCOMES})", name="ck_fetches_outcome"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_fetches_article_id_articles"
        ),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_fetches_source_id_sources"),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_runs.id"], name="fk_fetches_crawl_run_id_crawl_runs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fetches"),
    )
    op.create_index("ix_fetches_url", "fetches", ["url"])
    op.create_index("ix_fetches_source_id_fetched_at", "fetches", ["source_id", "fetched_at"])
    op.create_index("ix_fetches_article_id_fetched_at", "fetches", ["article_id", "fetched_at"])
    op.create_index("ix_fetches_crawl_run_id", "fetches", ["crawl_run_id"])


def downgrade() -> None:
    op.drop_table("fetches")
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint("fk_articles_current_version_id_article_versions", type_="foreignkey")
    op.drop_table("article_versions")
    op.drop_table("articles")
    op.drop_table("crawl_runs")
    op.drop_table("sources")
