"""Undoing Content-Encoding on a stored body, never past a size limit (no bomb gets out)."""

from __future__ import annotations

import sys
import zlib

import brotli

if sys.version_info >= (3, 14):  # pragma: no cover - the standard library has it from 3.14
    from compression import zstd
else:
    from backports import zstd


class ContentError(ValueError):
    """A body that cannot be decoded, or decodes past the limit."""


def decode_body(body: bytes, content_encoding: str | None, max_size: int) -> bytes:
    """`body` with its Content-Encoding (gzip, deflate, br, zstd, or a chain) undone."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):  # the last coding applied is undone first
        if coding in ("identity", ""):
            continue
        body = _decode_one(body, coding, max_size)
    return body


def _decode_one(body: bytes, coding: str, max_size: int) -> bytes:
    try:
        if coding in ("gzip", "x-gzip"):
            out = _zlib(body, 16 + zlib.MAX_WBITS, max_size)
        elif coding == "deflate":
            try:
                out = _zlib(body, zlib.MAX_WBITS, max_size)
            except zlib.error:
                out = _zlib(body, -zlib.MAX_WBITS, max_size)  # raw deflate, as some servers send
        elif coding == "br":
            inflater = brotli.Decompressor()
            out = inflater.process(body, output_buffer_limit=max_size + 1)
        elif coding == "zstd":
            out = zstd.ZstdDecompressor().decompress(body, max_length=max_size + 1)
        else:
            raise ContentError(f"unknown Content-Encoding {coding!r}")
    except (zlib.error, brotli.error, zstd.ZstdError) as exc:
        raise ContentError(f"broken {coding} body: {exc}") from None
    if len(out) > max_size:
        raise ContentError(f"{coding} body inflates past {max_size} bytes")
    return out


def _zlib(body: bytes, wbits: int, max_size: int) -> bytes:
    inflater = zlib.decompressobj(wbits=wbits)
    return inflater.decompress(body, max_size + 1)
