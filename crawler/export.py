"""Exporting article versions for corpus builders: JSON Lines, CSV or Parquet.

One record per article version (the current one, or every one with `all_versions`),
with its metadata. Rows stream from the database in batches (a server-side cursor on
PostgreSQL), so memory stays constant however large the archive. A file is written
under a temporary name beside the target and renamed into place only when complete:
a failed export leaves no partial file.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, Select, func, select

from crawler.errors import UserError
from crawler.store.engine import database_errors
from crawler.store.models import Article, ArticleVersion, Source

FORMATS = ("jsonl", "csv", "parquet")
BATCH = 1000
COLUMNS = (
    "article_id", "source", "url", "version", "is_current", "fetched_at", "published_at",
    "modified_at", "title", "lead", "body", "authors", "tags", "language", "word_count",
    "extractor", "content_hash", "image_url",
)  # fmt: skip


def _query(
    source: str | None, since: datetime | None, language: str | None, all_versions: bool
) -> Select[*tuple[Any, ...]]:
    query = (
        select(
            Article.id,
            Source.key,
            Article.url,
            ArticleVersion.version,
            Article.current_version_id == ArticleVersion.id,
            ArticleVersion.fetched_at,
            ArticleVersion.published_at,
            ArticleVersion.modified_at,
            ArticleVersion.title,
            ArticleVersion.lead,
            ArticleVersion.body,
            ArticleVersion.authors,
            ArticleVersion.tags,
            ArticleVersion.language,
            ArticleVersion.word_count,
            ArticleVersion.extractor,
            ArticleVersion.content_hash,
            ArticleVersion.image_url,
        )
        .join(Article, Article.id == ArticleVersion.article_id)
        .join(Source, Source.id == Article.source_id)
        .order_by(Article.id, ArticleVersion.version)
    )
    if not all_versions:
        query = query.where(Article.current_version_id == ArticleVersion.id)
    if source is not None:
        query = query.where(Source.key == source)
    if since is not None:
        query = query.where(func.coalesce(Article.published_at, Article.first_seen_at) >= since)
    if language is not None:
        query = query.where(ArticleVersion.language == language)
    return query


def count(engine: Engine, **filters: Any) -> int:
    query = select(func.count()).select_from(_query(**filters).subquery())
    with database_errors(engine.url), engine.connect() as connection:
        return int(connection.execute(query).scalar() or 0)


def records(engine: Engine, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every selected version as a dict of COLUMNS, streamed."""
    with database_errors(engine.url), engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
            _query(**filters)
        )
        for row in result:
            record = dict(zip(COLUMNS, row, strict=True))
            record["is_current"] = bool(record["is_current"])
            yield record


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str], step: Callable[[], None]) -> None:
    for row in rows:
        out.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
        step()


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str], step: Callable[[], None]) -> None:
    """Lists (authors, tags) as JSON arrays in their cells; times in ISO 8601."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else _plain(v)
                for k, v in row.items()
            }
        )
        step()


def write_parquet(rows: Iterator[dict[str, Any]], path: Path, step: Callable[[], None]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    moment = pa.timestamp("us", tz="UTC")
    schema = pa.schema(
        [
            ("article_id", pa.int64()), ("source", pa.string()), ("url", pa.string()),
            ("version", pa.int32()), ("is_current", pa.bool_()), ("fetched_at", moment),
            ("published_at", moment), ("modified_at", moment), ("title", pa.string()),
            ("lead", pa.string()), ("body", pa.string()), ("authors", pa.list_(pa.string())),
            ("tags", pa.list_(pa.string())), ("language", pa.string()), ("word_count", pa.int32()),
            ("extractor", pa.string()), ("content_hash", pa.string()), ("image_url", pa.string()),
        ]
    )  # fmt: skip
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            step()
            if len(batch) == BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))


@contextmanager
def atomic(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, renamed to it on success, removed on failure."""
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise UserError(f"cannot write {target}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise UserError(f"cannot write {target}: directory {directory} is not writable")
    partial = target.with_name(f".{target.name}.partial")
    try:
        yield partial
        partial.replace(target)
    except OSError as exc:
        with suppress(OSError):
            partial.unlink()
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        with suppress(OSError):
            partial.unlink()
        raise
