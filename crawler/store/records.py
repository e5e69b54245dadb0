"""Finding WARC records through the fetches that point to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from crawler.store.engine import database_errors
from crawler.store.models import Fetch


@dataclass(frozen=True, slots=True)
class StoredFetch:
    warc_file: str
    warc_offset: int
    warc_record_id: str
    url: str
    fetched_at: datetime


def first_with_payload(engine: Engine, digest: str) -> StoredFetch | None:
    """The earliest fetch whose record holds a payload with this digest."""
    query = (
        select(
            Fetch.warc_file, Fetch.warc_offset, Fetch.warc_record_id, Fetch.url, Fetch.fetched_at
        )
        .where(Fetch.payload_digest == digest, Fetch.warc_file.is_not(None))
        .order_by(Fetch.fetched_at, Fetch.id)
        .limit(1)
    )
    with database_errors(engine.url), engine.connect() as connection:
        row = connection.execute(query).first()
    if (
        row is None
        or row.warc_file is None
        or row.warc_offset is None
        or row.warc_record_id is None
    ):
        return None
    return StoredFetch(row.warc_file, row.warc_offset, row.warc_record_id, row.url, row.fetched_at)
