"""Stage 1: page bytes to text. Never raises on a bad byte.

Order: a byte-order mark; then bytes that are valid UTF-8 with non-ASCII characters
(whatever the page declares: a UTF-8 page declared as windows-1251 is common, and
valid multi-byte UTF-8 is almost never an accident), also when a stray byte or two
are not (they become replacement characters); then the charset from the HTTP
Content-Type header, then `<meta charset>`; then detection (charset-normalizer).
A declared charset that cannot decode the bytes is not trusted.
"""

from __future__ import annotations

import codecs
import re
from functools import cache

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from crawler.extract.errors import UnreadableInput

DETECTION_SAMPLE = 64 * 1024
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13))
_BINARY_SIGNATURES = {
    b"\x1f\x8b": "gzip-compressed data",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive",
    b"RIFF": "a RIFF (WebP, WAV…) file",
    b"\x00\x00\x00": "binary data",
}


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, newline, CR
_CONTROL_CHAR_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The page as text (control characters removed: no parser accepts them), and the
    name of the encoding used to read it."""
    text, encoding = _decode(data, content_type)
    # In an ASCII-compatible encoding (UTF-8, the Windows and ISO code pages), bytes with
    # none of those values decode to text with none of those characters: a look at the
    # bytes, in C, spares a regular-expression scan of the whole text on most pages.
    if _ascii_compatible(encoding) and len(data.translate(None, _CONTROL_CHAR_BYTES)) == len(data):
        return text, encoding
    return (_CONTROLS.sub("", text) if _CONTROLS.search(text) else text), encoding


@cache
def _ascii_compatible(encoding: str) -> bool:
    printable = bytes(range(0x20, 0x7F))
    try:
        return printable.decode(encoding) == printable.decode("ascii")
    except (LookupError, UnicodeDecodeError):
        return False


def _decode(data: bytes, content_type: str | None) -> tuple[str, str]:
    if not data.strip():
        raise UnreadableInput("empty input: no bytes to read")
    bom = read_bom(data)
    if bom[0]:
        encoding, mark = bom
        return data[len(mark) :].decode(encoding, errors="replace"), encoding
    _refuse_binary(data)
    if not data.isascii():
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            mostly = _mostly_utf8(data)
            if mostly is not None:
                return mostly, "utf-8"
    for declared in (
        http_content_type_encoding(content_type) if content_type else None,
        html_body_declared_encoding(data[:DETECTION_SAMPLE]),
    ):
        codec = _known(declared)
        if codec and codec != "utf-8":
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                continue
    encoding = _detect(data)
    return data.decode(encoding, errors="replace"), encoding


MAX_BAD_UTF8 = 0.01
"""A page whose bytes are UTF-8 but for at most this share of its non-ASCII characters
is UTF-8 with a few replacement characters (a stray byte pasted in), not another code
page: text in a single-byte code page is almost never valid UTF-8 even in part."""


def _mostly_utf8(data: bytes) -> str | None:
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())  # not the page's own U+FFFD
    wide = len(text) - len(text.encode("ascii", "ignore")) - bad  # non-ASCII, in C
    return text if wide > 0 and bad <= MAX_BAD_UTF8 * wide else None


def _refuse_binary(data: bytes) -> None:
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise UnreadableInput(f"not HTML: the input is {what}")
    head = data[:8192]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if b"\x00" in head or controls > len(head) // 20:
        raise UnreadableInput("not HTML: the input is binary data")


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


_CYRILLIC_CODECS = ("cp1251", "koi8_r", "iso8859_5", "mac_cyrillic")
_SMALL = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөү"
_LETTERS = re.compile(f"[{_SMALL}{_SMALL.upper()}]")  # counted by regular expressions: C speed
_SMALL_LETTERS = re.compile(f"[{_SMALL}]")
_WIDE = re.compile("[^\x00-\x7f]")


def _detect(data: bytes) -> str:
    """Undeclared single-byte text: a Cyrillic code page if one reads it as Cyrillic
    prose (mostly small letters: koi8-r and cp1251 swap the cases), else whatever
    charset-normalizer says (it reads Kyrgyz windows-1251 as Greek)."""
    sample = data[:DETECTION_SAMPLE]
    best, best_score = "", 0.0
    for codec in _CYRILLIC_CODECS:
        text = sample.decode(codec, errors="replace")
        letters = len(_LETTERS.findall(text))
        if letters:
            small = len(_SMALL_LETTERS.findall(text)) / letters
            score = letters / len(_WIDE.findall(text)) * (0.5 + 0.5 * small)
            if score > best_score:
                best, best_score = codec, score
    if best_score >= 0.6:
        return _known(best) or best
    found = from_bytes(data).best()  # samples a few chunks itself
    return _known(found.encoding if found else None) or "utf-8"
