"""A kept page read back from its WARC record and extracted: the work of one page of
`kgnews reextract`, done in a worker process. Only reading and extraction are imported
here, so a worker starts without the store and the rest of the CLI."""

from __future__ import annotations

from pathlib import Path

from crawler.capture.content import decode_body
from crawler.capture.warc import REVISIT, read_record
from crawler.extract.article import Article
from crawler.extract.pipeline import MAX_INPUT_BYTES, extract_article
from crawler.extract.rules import ExtractionRules


def extract_kept(path: str, offset: int, rules: ExtractionRules, *, url: str) -> Article | str:
    """The article in the record at `offset` of the WARC file, or REVISIT when the record
    holds no payload of its own (run in a worker: reading and decoding is work too)."""
    stored = read_record(Path(path), offset)
    if stored.record_type == REVISIT:
        return REVISIT
    body = decode_body(stored.body, stored.header("Content-Encoding"), MAX_INPUT_BYTES)
    return extract_article(body, url, rules, stored.header("Content-Type"), known_article=True)
