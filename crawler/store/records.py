"""Finding WARC records through the fetches that point to them."""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
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


class KnownPayloads:
    """Which payload digests the archive's WARC records hold, read once per run: a
    response whose digest is not among them is new, and needs no query to say so.

    Kept as sorted 64-bit hashes of the digests (8 bytes each: a million fetches take
    8 MB); a hash that matches is only a "maybe", confirmed by the query.
    """

    def __init__(self, engine: Engine) -> None:
        query = (
            select(Fetch.payload_digest)
            .where(Fetch.payload_digest.is_not(None), Fetch.warc_file.is_not(None))
            .distinct()
        )
        with database_errors(engine.url), engine.connect() as connection:
            hashes = sorted({_hash(digest) for digest in connection.scalars(query) if digest})
        self._hashes = array("Q", hashes)

    def may_hold(self, digest: str) -> bool:
        key = _hash(digest)
        at = bisect_left(self._hashes, key)
        return at < len(self._hashes) and self._hashes[at] == key


def _hash(digest: str) -> int:
    return int.from_bytes(hashlib.blake2b(digest.encode(), digest_size=8).digest(), "big")
