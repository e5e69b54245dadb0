"""Raw pages into WARC/1.1 files with warcio, and back out. No Scrapy here.

What a record holds: the response exactly as the site sent its body, which may be
compressed (Content-Encoding gzip, br, zstd: kept, so replay tools decode it as a
browser would). Scrapy has already undone chunked transfer encoding, so the
Transfer-Encoding header is dropped and Content-Length set to the body's length;
every other header is as received.

Each file starts with a `warcinfo` record; each fetch writes a `response` (or a
`revisit` when its payload digest matches a record already stored) and the
`request` that asked for it. Records are gzip members, files rotate at a size limit,
and a record that could not be written whole is cut off again, so the file never
ends in half a record.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import __version__

DEFAULT_MAX_BYTES = 1024**3
REVISIT = "revisit"  # the record type of a response whose payload an earlier record holds
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class WarcWriteError(OSError):
    """A record could not be written (disk full, permissions…): the message says where."""


class WarcReadError(Exception):
    """A record could not be read back: the message names the file and offset."""


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where a fetch's response (or revisit) record is."""

    file: str
    """File name, relative to the WARC directory."""
    offset: int
    record_id: str
    record_type: str
    payload_digest: str
    url: str
    date: str


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request and the response to it."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    protocol: str
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime


Lookup = Callable[[str], RecordRef | None]
"""Finds a record already stored with this payload digest (for revisit records)."""


def safe_name(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-")[:80] or "kgnews"


def warc_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WarcFiles:
    """Appends exchanges to gzip WARC files in `directory`, rotating at `max_bytes`.

    With a `node` (a crawl node's name), the files go into directory/node/ and their
    records' places name that folder ("node-a/kgnews-run7-….warc.gz"): nodes never write
    the same name, and once their folders are gathered under one directory every
    place in the archive points at its file."""

    def __init__(
        self, directory: Path, prefix: str, max_bytes: int = DEFAULT_MAX_BYTES, node: str = ""
    ) -> None:
        self.node = safe_name(node) if node else ""
        self.directory = directory / self.node if self.node else directory
        self.prefix = safe_name(prefix)
        self.max_bytes = max_bytes
        self._file: BinaryIO | None = None
        self._name = ""
        self._writer: WARCWriter | None = None
        self._serial = 0
        self._seen: dict[str, RecordRef] = {}

    def write(self, exchange: Exchange, lookup: Lookup | None = None) -> RecordRef:
        """Write the exchange; a revisit record if its payload was stored before."""
        try:
            writer, handle = self._open(exchange.fetched_at)
            start = handle.tell()
            try:
                return self._write(writer, handle, start, exchange, lookup)
            except OSError:
                handle.truncate(start)  # no half record at the end of the file
                raise
        except OSError as exc:
            self._abandon()
            where = self.directory / self._name if self._name else self.directory
            raise WarcWriteError(f"cannot write WARC file {where}: {exc.strerror or exc}") from exc

    def _write(
        self,
        writer: WARCWriter,
        handle: BinaryIO,
        start: int,
        exchange: Exchange,
        lookup: Lookup | None,
    ) -> RecordRef:
        date = warc_date(exchange.fetched_at)
        headers = [
            (name, value)
            for name, value in exchange.response_headers
            if name.lower() not in ("transfer-encoding", "content-length")
        ] + [("Content-Length", str(len(exchange.body)))]
        http = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".strip(), headers, protocol=exchange.protocol
        )
        response = writer.create_warc_record(
            exchange.url, "response", payload=BytesIO(exchange.body), length=len(exchange.body),
            http_headers=http, warc_headers_dict={"WARC-Date": date},
        )  # fmt: skip
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        original = None
        if exchange.body:  # (an empty payload is never a revisit: nothing to look up)
            original = self._seen.get(digest) or (lookup(digest) if lookup else None)
        if original is not None:
            record = writer.create_revisit_record(
                exchange.url, digest, original.url, original.date, http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )  # fmt: skip
        else:
            record = response
        writer.write_record(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        request_line = f"{exchange.method} {_path(exchange.url)}"
        request_http = StatusAndHeaders(
            request_line, exchange.request_headers, protocol=exchange.protocol, is_http_request=True
        )
        request = writer.create_warc_record(
            exchange.url, "request", http_headers=request_http,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
        )  # fmt: skip
        writer.write_record(request)
        handle.flush()
        place = f"{self.node}/{self._name}" if self.node else self._name
        ref = RecordRef(place, start, record_id, record.rec_type, digest, exchange.url, date)
        if record is response:
            self._seen.setdefault(digest, ref)
        return ref

    def _open(self, moment: datetime) -> tuple[WARCWriter, BinaryIO]:
        if (
            self._file is not None
            and self._writer is not None
            and self._file.tell() < self.max_bytes
        ):
            return self._writer, self._file
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            self._serial += 1
            name = f"{self.prefix}-{moment:%Y%m%d%H%M%S}-{self._serial:05d}.warc.gz"
            path = self.directory / name
            if not path.exists() or path.stat().st_size == 0:
                break
        self._file = path.open("ab")
        self._name = name
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        info = self._writer.create_warcinfo_record(
            name, {"software": f"kgnews/{__version__} (warcio)", "format": "WARC File Format 1.1",
                   "description": "Kyrgyz news pages as fetched by kgnews"},
        )  # fmt: skip
        self._writer.write_record(info)
        return self._writer, self._file

    def close(self) -> None:
        """Close the current file; a failure to flush it is a WarcWriteError."""
        handle, self._file, self._writer = self._file, None, None
        if handle is not None:
            try:
                handle.close()
            except OSError as exc:
                raise WarcWriteError(
                    f"cannot write WARC file {handle.name}: {exc.strerror}"
                ) from exc

    def _abandon(self) -> None:
        """Drop the current file after a failed write, without flushing what failed."""
        handle, self._file, self._writer = self._file, None, None
        if handle is not None:
            with suppress(OSError):
                handle.close()  # the failed bytes are still buffered: they fail again


def _path(url: str) -> str:
    after_scheme = url.split("://", 1)[-1]
    slash = after_scheme.find("/")
    return after_scheme[slash:] if slash >= 0 else "/"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    record_type: str
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    """As the site sent it (still compressed if it was); empty for a revisit."""
    refers_to: tuple[str, str] | None
    """For a revisit: the URI and date of the record that holds the payload."""
    record_id: str | None = None
    payload_digest: str | None = None
    """The record's WARC-Payload-Digest header ("sha1:BASE32")."""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def payload_digest(body: bytes) -> str:
    """A payload's digest as WARC records write it: "sha1:" and the SHA-1 in base 32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def read_record(path: Path, offset: int) -> StoredResponse:
    """The response or revisit record at `offset` in `path`."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            for record in ArchiveIterator(handle):
                http = record.http_headers
                if record.rec_type not in ("response", "revisit") or http is None:
                    break
                refers = None
                if record.rec_type == "revisit":
                    refers = (
                        record.rec_headers.get_header("WARC-Refers-To-Target-URI"),
                        record.rec_headers.get_header("WARC-Refers-To-Date"),
                    )
                body = record.raw_stream.read()
                return StoredResponse(
                    record.rec_type, record.rec_headers.get_header("WARC-Target-URI"),
                    int(http.get_statuscode() or 0), list(http.headers), body, refers,
                    record.rec_headers.get_header("WARC-Record-ID"),
                    record.rec_headers.get_header("WARC-Payload-Digest"),
                )  # fmt: skip
    except (OSError, ArchiveLoadFailed, EOFError, ValueError) as exc:
        raise WarcReadError(f"{path} at offset {offset}: {exc}") from None
    raise WarcReadError(f"{path} at offset {offset}: no response record there")
