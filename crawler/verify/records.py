"""The raw-page invariants (`kgnews verify --warc`): every WARC pointer opens a readable
record, the record's payload hashes to the digest the fetch stores, a revisit's payload is
kept by some earlier record, and every article version can be extracted again from the
page it was made from (the same text, where today's extractor made it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, select

from crawler.capture.content import ContentError, decode_body
from crawler.capture.warc import StoredResponse, WarcReadError, payload_digest, read_record
from crawler.extract.errors import NoArticle
from crawler.extract.pipeline import EXTRACTOR, MAX_INPUT_BYTES, extract_article
from crawler.extract.rules import NO_RULES, ExtractionRules
from crawler.store.models import Article, ArticleVersion, Fetch, Source
from crawler.store.records import first_with_payload
from crawler.store.versioning import content_hash
from crawler.verify.rows import stream

RulesFor = Callable[[str], ExtractionRules | None]


DRIFT = "drift: "
"""Lines that say today's extraction reads a kept page otherwise than the archive did
(after an extraction or rules change: `kgnews reextract` brings the archive up to date).
They are reported, but are not broken promises."""


@dataclass
class Counted:
    records: int = 0
    versions: int = 0
    unkept: int = 0
    """Versions with no raw page kept (crawled with --no-warc, or before WARC capture)."""


def record_problems(
    engine: Engine,
    connection: Connection,
    warc_dir: Path,
    source_id: int | None,
    rules_for: RulesFor,
    counted: Counted,
) -> Iterator[str]:
    """Every violation of the raw-page invariants (of one source, when `source_id`)."""
    yield from _pointers(engine, connection, warc_dir, source_id, counted)
    yield from _versions(engine, connection, warc_dir, source_id, rules_for, counted)


def _pointers(
    engine: Engine, connection: Connection, warc_dir: Path, source_id: int | None, counted: Counted
) -> Iterator[str]:
    query = (
        select(
            Fetch.id, Fetch.warc_file, Fetch.warc_offset, Fetch.warc_record_id, Fetch.payload_digest
        )
        .where(Fetch.warc_file.is_not(None))
        .order_by(Fetch.id)
    )
    if source_id is not None:
        query = query.where(Fetch.source_id == source_id)
    for row in stream(connection, query):
        counted.records += 1
        name = f"fetch {row.id}"
        where = f"{row.warc_file} at offset {row.warc_offset}"
        if row.warc_offset is None:
            yield f"{name}: names WARC file {row.warc_file} but no offset"
            continue
        try:
            stored = read_record(warc_dir / row.warc_file, row.warc_offset)
        except WarcReadError as exc:
            yield f"{name}: its WARC record cannot be read: {exc}"
            continue
        if row.warc_record_id and stored.record_id != row.warc_record_id:
            yield f"{name}: {where} holds record {stored.record_id}, not {row.warc_record_id}"
        if stored.payload_digest != row.payload_digest:
            yield (
                f"{name}: {where} says its payload digest is {stored.payload_digest}, "
                f"the fetch {row.payload_digest}"
            )
        if stored.record_type == "response":
            actual = payload_digest(stored.body)
            if actual != row.payload_digest:
                yield (
                    f"{name}: the payload at {where} hashes to {actual}, not the stored "
                    f"{row.payload_digest}: the record does not hold the page it names"
                )
        elif not _kept_elsewhere(
            engine, warc_dir, row.payload_digest, row.warc_file, row.warc_offset
        ):
            yield f"{name}: {where} is a revisit of {row.payload_digest}, which no record holds"


def _kept_elsewhere(
    engine: Engine, warc_dir: Path, digest: str | None, file: str, offset: int
) -> bool:
    original = first_with_payload(engine, digest or "")
    if original is None or (original.warc_file, original.warc_offset) == (file, offset):
        return False
    try:
        stored = read_record(warc_dir / original.warc_file, original.warc_offset)
    except WarcReadError:
        return False
    return stored.record_type == "response" and payload_digest(stored.body) == digest


def _versions(
    engine: Engine,
    connection: Connection,
    warc_dir: Path,
    source_id: int | None,
    rules_for: RulesFor,
    counted: Counted,
) -> Iterator[str]:
    kept = and_(
        Fetch.article_id == ArticleVersion.article_id,
        Fetch.fetched_at == ArticleVersion.fetched_at,
        Fetch.warc_file.is_not(None),
    )
    query = (
        select(
            ArticleVersion.id,
            ArticleVersion.article_id,
            ArticleVersion.version,
            ArticleVersion.content_hash,
            ArticleVersion.extractor,
            Article.url,
            Source.key,
            Article.current_version_id,
            Fetch.url.label("fetch_url"),
            Fetch.warc_file,
            Fetch.warc_offset,
            Fetch.payload_digest,
        )
        .join(Article, Article.id == ArticleVersion.article_id)
        .join(Source, Source.id == Article.source_id)
        .outerjoin(Fetch, kept)
        .order_by(ArticleVersion.id, Fetch.id)
    )
    if source_id is not None:
        query = query.where(Article.source_id == source_id)
    seen: int | None = None
    for row in stream(connection, query):
        if row.id == seen:  # two fetches at one instant: one is enough
            continue
        seen = row.id
        counted.versions += 1
        name = f"article {row.article_id} version {row.version}"
        if row.warc_file is None or row.warc_offset is None:
            counted.unkept += 1  # nothing to check it against
            continue
        try:
            stored = _payload(engine, warc_dir, row.warc_file, row.warc_offset, row.payload_digest)
            body = decode_body(stored.body, stored.header("Content-Encoding"), MAX_INPUT_BYTES)
            rules = rules_for(row.key)
            article = extract_article(
                body, row.fetch_url, rules or NO_RULES, stored.header("Content-Type"),
                known_article=True,
            )  # fmt: skip
        except (WarcReadError, ContentError) as exc:
            yield f"{name}: cannot be extracted again: {exc}"
            continue
        except NoArticle as exc:
            yield f"{DRIFT}{name}: its page gives no article now ({exc})"
            continue
        current = row.id == row.current_version_id  # older ones were superseded on purpose
        same_code = row.extractor == EXTRACTOR and rules is not None
        if (
            current
            and same_code
            and content_hash(article.title, article.paragraphs) != row.content_hash
        ):
            yield (
                f"{DRIFT}{name}: extracted again from {row.warc_file} at offset "
                f"{row.warc_offset}, its text differs from the stored one"
            )


def _payload(
    engine: Engine, warc_dir: Path, file: str, offset: int, digest: str | None
) -> StoredResponse:
    """The record at `file`/`offset`, or for a revisit the record that holds its payload."""
    stored = read_record(warc_dir / file, offset)
    if stored.record_type != "revisit":
        return stored
    return _original(engine, warc_dir, file, offset, digest)


def _original(
    engine: Engine, warc_dir: Path, file: str, offset: int, digest: str | None
) -> StoredResponse:
    """The earliest response record with this payload digest, other than `file`/`offset`."""
    original = first_with_payload(engine, digest or "")
    if original is None or (original.warc_file, original.warc_offset) == (file, offset):
        raise WarcReadError(f"{file} at offset {offset}: its payload is kept by no other record")
    stored = read_record(warc_dir / original.warc_file, original.warc_offset)
    if stored.record_type != "response":
        raise WarcReadError(f"{file} at offset {offset}: its payload is kept by no other record")
    return stored
